/** JSON views of security groups and rules. */
import type { SecurityGroup, SecurityGroupRule } from '../objects/security-group.js';
import { standardView } from './view-helpers.js';

/** A rule. */
export function ruleView(r: SecurityGroupRule): Record<string, unknown> {
  return {
    id: r.id,
    tenant_id: r.projectId,
    project_id: r.projectId,
    security_group_id: r.securityGroupId,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.portRangeMin,
    port_range_max: r.portRangeMax,
    remote_ip_prefix: r.remoteIpPrefix,
    remote_group_id: r.remoteGroupId,
    ...standardView(r),
  };
}

/** A group with its rules. */
export function securityGroupView(g: SecurityGroup): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    tenant_id: g.projectId,
    project_id: g.projectId,
    security_group_rules: g.rules.map(ruleView),
    ...standardView(g),
  };
}
