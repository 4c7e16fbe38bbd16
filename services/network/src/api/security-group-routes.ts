/** /v2.0/security-groups and /v2.0/security-group-rules. */
import type { FastifyInstance } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, checkAttributes, createItems, fieldsOf, filterValues, locationOf, projectOf, single } from './route-helpers.js';
import { listResponse, parseListQuery, project } from './list-query.js';
import { ruleView, securityGroupView } from './security-groups-view.js';
import { optString } from '../attributes.js';

const GROUP_ATTRS = ['name', 'description', 'tags', 'project_id', 'tenant_id', 'id'];
const RULE_ATTRS = ['security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id', 'description', 'project_id', 'tenant_id', 'id'];

/** Register the security group routes. */
export function registerSecurityGroupRoutes(app: FastifyInstance, apis: NetworkApis): void {
  const { groups, tracer } = apis;

  app.get('/v2.0/security-groups', async (request) => {
    const ctx = callerOf(request, tracer);
    const ids = filterValues(request, 'id');
    const names = filterValues(request, 'name');
    const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
    const list = await groups.list(ctx, { ...(ids ? { ids } : {}), ...(names ? { names } : {}), ...(projects ? { projectIds: projects } : {}) });
    return listResponse(list.map(securityGroupView), parseListQuery(request.query as never), locationOf(request, 'security_groups'));
  });

  app.get('/v2.0/security-groups/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    return { security_group: project(securityGroupView(await groups.get(ctx, (request.params as { id: string }).id)), fieldsOf(request)) };
  });

  app.post('/v2.0/security-groups', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'security_group');
    checkAttributes(b, GROUP_ATTRS);
    const projectId = projectOf(b);
    const name = optString('name', b.name);
    const description = optString('description', b.description, 1024);
    const g = await groups.create(ctx, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}), ...(projectId !== undefined ? { projectId } : {}) });
    return reply.code(201).send({ security_group: securityGroupView(g) });
  });

  app.put('/v2.0/security-groups/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'security_group');
    checkAttributes(b, ['name', 'description', 'tags']);
    const name = optString('name', b.name);
    const description = optString('description', b.description, 1024);
    const g = await groups.update(ctx, (request.params as { id: string }).id, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) });
    return { security_group: securityGroupView(g) };
  });

  app.delete('/v2.0/security-groups/:id', async (request, reply) => {
    await groups.delete(callerOf(request, tracer), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get('/v2.0/security-group-rules', async (request) => {
    const ctx = callerOf(request, tracer);
    const ids = filterValues(request, 'id');
    const sgs = filterValues(request, 'security_group_id');
    const list = await groups.listRules(ctx, { ...(ids ? { ids } : {}), ...(sgs ? { groupIds: sgs } : {}) });
    return listResponse(list.map(ruleView), parseListQuery(request.query as never), locationOf(request, 'security_group_rules'));
  });

  app.get('/v2.0/security-group-rules/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    return { security_group_rule: project(ruleView(await groups.getRule(ctx, (request.params as { id: string }).id)), fieldsOf(request)) };
  });

  app.post('/v2.0/security-group-rules', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const { items, bulk } = createItems(request, 'security_group_rule', 'security_group_rules');
    for (const i of items) checkAttributes(i, RULE_ATTRS);
    const made = await groups.createRules(
      ctx,
      items.map((b) => {
        const projectId = projectOf(b);
        const description = optString('description', b.description, 1024);
        return {
          securityGroupId: typeof b.security_group_id === 'string' ? b.security_group_id : '',
          direction: b.direction,
          ethertype: b.ethertype,
          protocol: b.protocol,
          portRangeMin: b.port_range_min,
          portRangeMax: b.port_range_max,
          remoteIpPrefix: b.remote_ip_prefix,
          remoteGroupId: b.remote_group_id,
          ...(description !== undefined ? { description } : {}),
          ...(projectId !== undefined ? { projectId } : {}),
        };
      }),
    );
    return reply.code(201).send(bulk ? { security_group_rules: made.map(ruleView) } : { security_group_rule: ruleView(made[0]!) });
  });

  app.delete('/v2.0/security-group-rules/:id', async (request, reply) => {
    await groups.deleteRule(callerOf(request, tracer), (request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
