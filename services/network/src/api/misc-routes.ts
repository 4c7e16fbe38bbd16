/** /v2.0/quotas, /v2.0/metering, and tags on every taggable collection. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, ownerOf, single } from './route-helpers.js';
import { registerResourceRoutes } from './resource-routes.js';
import { meteringLabelRuleView, meteringLabelView, quotaView } from './agents-view.js';
import { TAGGABLE } from '../tag-api.js';
import { bad } from '../errors.js';
import type { MeteringLabel, MeteringLabelRule } from '../objects/metering.js';

/** Register quota, metering and tag routes. */
export function registerMiscRoutes(app: FastifyInstance, apis: NetworkApis): void {
  const { quotas, metering, tags, tracer } = apis;
  type P = { id: string; tag?: string };

  app.get('/v2.0/quotas', async (request) => {
    const ctx = callerOf(request, tracer);
    const list = await quotas.list(ctx);
    return { quotas: list.map((q) => ({ ...quotaView(q.quota), project_id: q.projectId, tenant_id: q.projectId })) };
  });
  app.get('/v2.0/quotas/:id', async (request) => ({ quota: quotaView(await quotas.get(callerOf(request, tracer), (request.params as P).id)) }));
  app.get('/v2.0/quotas/:id/default', async (request) => ({ quota: quotaView(await quotas.getDefaults(callerOf(request, tracer), (request.params as P).id)) }));
  const details = async (request: FastifyRequest) => ({ quota: await quotas.details(callerOf(request, tracer), (request.params as P).id) });
  app.get('/v2.0/quotas/:id/details', details);
  app.get('/v2.0/quotas/:id/details.json', details);
  app.put('/v2.0/quotas/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    return { quota: quotaView(await quotas.update(ctx, (request.params as P).id, single(request, 'quota'))) };
  });
  app.delete('/v2.0/quotas/:id', async (request, reply) => {
    await quotas.reset(callerOf(request, tracer), (request.params as P).id);
    return reply.code(204).send();
  });

  registerResourceRoutes<MeteringLabel>(app, tracer, {
    path: 'metering/metering-labels',
    member: 'metering_label',
    view: (_ctx, list) => list.map(meteringLabelView),
    list: (ctx) => metering.listLabels(ctx),
    get: (ctx, id) => metering.getLabel(ctx, id),
    create: {
      attrs: ['name', 'description', 'shared', 'project_id', 'tenant_id'],
      one: (ctx, b) => metering.createLabel(ctx, { name: b.name, description: b.description, shared: b.shared, ...ownerOf(b) }),
    },
    delete: (ctx, id) => metering.deleteLabel(ctx, id),
  });
  registerResourceRoutes<MeteringLabelRule>(app, tracer, {
    path: 'metering/metering-label-rules',
    member: 'metering_label_rule',
    view: (_ctx, list) => list.map(meteringLabelRuleView),
    list: (ctx) => metering.listRules(ctx),
    get: (ctx, id) => metering.getRule(ctx, id),
    create: {
      attrs: ['metering_label_id', 'direction', 'remote_ip_prefix', 'source_ip_prefix', 'destination_ip_prefix', 'excluded', 'project_id', 'tenant_id'],
      one: (ctx, b) =>
        metering.createRule(ctx, {
          meteringLabelId: b.metering_label_id,
          direction: b.direction,
          remoteIpPrefix: b.remote_ip_prefix,
          sourceIpPrefix: b.source_ip_prefix,
          destinationIpPrefix: b.destination_ip_prefix,
          excluded: b.excluded,
          ...ownerOf(b),
        }),
    },
    delete: (ctx, id) => metering.deleteRule(ctx, id),
  });

  for (const resource of TAGGABLE) {
    const base = `/v2.0/${resource}/:id/tags`;
    app.get(base, async (request) => ({ tags: await tags.list(callerOf(request, tracer), resource, (request.params as P).id) }));
    app.put(base, async (request) => {
      const body = request.body as { tags?: unknown } | undefined;
      if (body === undefined || body === null || typeof body !== 'object' || body.tags === undefined) throw bad('HTTPBadRequest', "Invalid tags body: 'tags' is required");
      return { tags: await tags.replace(callerOf(request, tracer), resource, (request.params as P).id, body.tags) };
    });
    app.delete(base, async (request, reply) => {
      await tags.removeAll(callerOf(request, tracer), resource, (request.params as P).id);
      return reply.code(204).send();
    });
    app.get(`${base}/:tag`, async (request, reply) => {
      const p = request.params as Required<P>;
      await tags.check(callerOf(request, tracer), resource, p.id, p.tag);
      return reply.code(204).send();
    });
    app.put(`${base}/:tag`, async (request, reply) => {
      const p = request.params as Required<P>;
      await tags.add(callerOf(request, tracer), resource, p.id, p.tag);
      return reply.code(201).send();
    });
    app.delete(`${base}/:tag`, async (request, reply) => {
      const p = request.params as Required<P>;
      await tags.remove(callerOf(request, tracer), resource, p.id, p.tag);
      return reply.code(204).send();
    });
  }
}
