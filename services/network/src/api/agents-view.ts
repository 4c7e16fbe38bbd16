/** JSON views of agents, availability zones, quotas and metering. */
import type { AgentWithState, AvailabilityZone } from '../agent-api.js';
import type { MeteringLabel, MeteringLabelRule } from '../objects/metering.js';
import type { QuotaSet } from '../quota-api.js';
import { agentTimestamp } from './view-helpers.js';

/** An agent, alive or not from its heartbeat. */
export function agentView(a: AgentWithState): Record<string, unknown> {
  return {
    id: a.id,
    agent_type: a.agentType,
    binary: a.binary,
    topic: a.topic,
    host: a.host,
    admin_state_up: a.adminStateUp,
    alive: a.alive,
    availability_zone: a.availabilityZone === '' ? null : a.availabilityZone,
    configurations: { ...a.configurations },
    description: a.description === '' ? null : a.description,
    created_at: agentTimestamp(a.createdAt),
    started_at: agentTimestamp(a.startedAt),
    heartbeat_timestamp: agentTimestamp(a.heartbeatTimestamp),
    resources_synced: null,
    resource_versions: {},
  };
}

/** An availability zone. */
export function availabilityZoneView(z: AvailabilityZone): Record<string, unknown> {
  return { name: z.name, resource: z.resource, state: z.state };
}

/** A quota set (neutron's field names). */
export function quotaView(q: QuotaSet): Record<string, number> {
  return { ...q };
}

/** A metering label. */
export function meteringLabelView(l: MeteringLabel): Record<string, unknown> {
  return { id: l.id, name: l.name, description: l.description, shared: l.shared, tenant_id: l.projectId, project_id: l.projectId };
}

/** A metering label rule. */
export function meteringLabelRuleView(r: MeteringLabelRule): Record<string, unknown> {
  return {
    id: r.id,
    metering_label_id: r.meteringLabelId,
    direction: r.direction,
    excluded: r.excluded,
    remote_ip_prefix: r.remoteIpPrefix,
    source_ip_prefix: r.sourceIpPrefix,
    destination_ip_prefix: r.destinationIpPrefix,
    tenant_id: r.projectId,
    project_id: r.projectId,
  };
}
