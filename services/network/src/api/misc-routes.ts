/** /v2.0/quotas, /v2.0/metering, and tags on every taggable collection. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, checkAttributes, fieldsOf, locationOf, projectOf, single } from './route-helpers.js';
import { listResponse, parseListQuery, project } from './list-query.js';
import { meteringLabelRuleView, meteringLabelView, quotaView } from './agents-view.js';
import { TAGGABLE } from '../tag-api.js';
import { bad } from '../errors.js';

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

  app.get('/v2.0/metering/metering-labels', async (request) => {
    const ctx = callerOf(request, tracer);
    return listResponse((await metering.listLabels(ctx)).map(meteringLabelView), parseListQuery(request.query as never), locationOf(request, 'metering_labels'));
  });
  app.get('/v2.0/metering/metering-labels/:id', async (request) => ({ metering_label: project(meteringLabelView(await metering.getLabel(callerOf(request, tracer), (request.params as P).id)), fieldsOf(request)) }));
  app.post('/v2.0/metering/metering-labels', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'metering_label');
    checkAttributes(b, ['name', 'description', 'shared', 'project_id', 'tenant_id']);
    const projectId = projectOf(b);
    const l = await metering.createLabel(ctx, { name: b.name, description: b.description, shared: b.shared, ...(projectId !== undefined ? { projectId } : {}) });
    return reply.code(201).send({ metering_label: meteringLabelView(l) });
  });
  app.delete('/v2.0/metering/metering-labels/:id', async (request, reply) => {
    await metering.deleteLabel(callerOf(request, tracer), (request.params as P).id);
    return reply.code(204).send();
  });
  app.get('/v2.0/metering/metering-label-rules', async (request) => {
    const ctx = callerOf(request, tracer);
    return listResponse((await metering.listRules(ctx)).map(meteringLabelRuleView), parseListQuery(request.query as never), locationOf(request, 'metering_label_rules'));
  });
  app.get('/v2.0/metering/metering-label-rules/:id', async (request) => ({ metering_label_rule: project(meteringLabelRuleView(await metering.getRule(callerOf(request, tracer), (request.params as P).id)), fieldsOf(request)) }));
  app.post('/v2.0/metering/metering-label-rules', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'metering_label_rule');
    checkAttributes(b, ['metering_label_id', 'direction', 'remote_ip_prefix', 'source_ip_prefix', 'destination_ip_prefix', 'excluded', 'project_id', 'tenant_id']);
    const projectId = projectOf(b);
    const r = await metering.createRule(ctx, {
      meteringLabelId: b.metering_label_id,
      direction: b.direction,
      remoteIpPrefix: b.remote_ip_prefix,
      sourceIpPrefix: b.source_ip_prefix,
      destinationIpPrefix: b.destination_ip_prefix,
      excluded: b.excluded,
      ...(projectId !== undefined ? { projectId } : {}),
    });
    return reply.code(201).send({ metering_label_rule: meteringLabelRuleView(r) });
  });
  app.delete('/v2.0/metering/metering-label-rules/:id', async (request, reply) => {
    await metering.deleteRule(callerOf(request, tracer), (request.params as P).id);
    return reply.code(204).send();
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
