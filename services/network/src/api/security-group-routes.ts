/** /v2.0/security-groups and /v2.0/security-group-rules. */
import type { FastifyInstance } from 'fastify';
import type { NetworkApis } from './apis.js';
import { filterValues, ownerOf } from './route-helpers.js';
import { registerResourceRoutes } from './resource-routes.js';
import { ruleView, securityGroupView } from './security-groups-view.js';
import { nameAndDescription, optString } from '../attributes.js';
import type { SecurityGroup, SecurityGroupRule } from '../objects/security-group.js';

const GROUP_ATTRS = ['name', 'description', 'tags', 'project_id', 'tenant_id', 'id'];
const RULE_ATTRS = ['security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id', 'description', 'project_id', 'tenant_id', 'id'];

/** Register the security group routes. */
export function registerSecurityGroupRoutes(app: FastifyInstance, apis: NetworkApis): void {
  const { groups, tracer } = apis;

  registerResourceRoutes<SecurityGroup>(app, tracer, {
    path: 'security-groups',
    member: 'security_group',
    view: (_ctx, list) => list.map(securityGroupView),
    list: (ctx, request) => {
      const ids = filterValues(request, 'id');
      const names = filterValues(request, 'name');
      const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
      return groups.list(ctx, { ...(ids ? { ids } : {}), ...(names ? { names } : {}), ...(projects ? { projectIds: projects } : {}) });
    },
    get: (ctx, id) => groups.get(ctx, id),
    create: {
      attrs: GROUP_ATTRS,
      one: (ctx, b) => {
        const owner = ownerOf(b);
        return groups.create(ctx, { ...nameAndDescription(b), ...owner });
      },
    },
    update: { attrs: ['name', 'description', 'tags'], run: (ctx, id, b) => groups.update(ctx, id, nameAndDescription(b)) },
    delete: (ctx, id) => groups.delete(ctx, id),
  });

  registerResourceRoutes<SecurityGroupRule>(app, tracer, {
    path: 'security-group-rules',
    member: 'security_group_rule',
    view: (_ctx, list) => list.map(ruleView),
    list: (ctx, request) => {
      const ids = filterValues(request, 'id');
      const sgs = filterValues(request, 'security_group_id');
      return groups.listRules(ctx, { ...(ids ? { ids } : {}), ...(sgs ? { groupIds: sgs } : {}) });
    },
    get: (ctx, id) => groups.getRule(ctx, id),
    create: {
      attrs: RULE_ATTRS,
      bulk: (ctx, bodies) =>
        groups.createRules(
          ctx,
          bodies.map((b) => {
            const owner = ownerOf(b);
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
              ...owner,
            };
          }),
        ),
    },
    delete: (ctx, id) => groups.deleteRule(ctx, id),
  });
}
