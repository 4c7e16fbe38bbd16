/**
 * Agents as they report by heartbeat (one row per agent type and host), and DHCP scheduling.
 *
 * Version history:
 * - 1.0 - agents with configurations and heartbeat; network-to-DHCP-agent bindings
 */
import type { NetworkDb } from './common.js';
import { bool, json, newId, now } from './common.js';
import type { AgentTable } from '../db/schema.js';

/** An agent record. */
export interface Agent {
  readonly id: string;
  readonly agentType: string;
  readonly binary: string;
  readonly topic: string;
  readonly host: string;
  readonly availabilityZone: string;
  readonly adminStateUp: boolean;
  readonly description: string;
  readonly configurations: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly startedAt: string;
  readonly heartbeatTimestamp: string;
}

function fromRow(r: AgentTable): Agent {
  return {
    id: r.id,
    agentType: r.agent_type,
    binary: r.binary,
    topic: r.topic,
    host: r.host,
    availabilityZone: r.availability_zone,
    adminStateUp: bool(r.admin_state_up),
    description: r.description,
    configurations: json<Record<string, unknown>>(r.configurations, {}),
    createdAt: r.created_at,
    startedAt: r.started_at,
    heartbeatTimestamp: r.heartbeat_timestamp,
  };
}

/** Load agents, optionally of some types or hosts. */
export async function loadAgents(db: NetworkDb, q: { ids?: readonly string[]; types?: readonly string[]; hosts?: readonly string[] } = {}): Promise<Agent[]> {
  if ([q.ids, q.types, q.hosts].some((l) => l !== undefined && l.length === 0)) return [];
  let query = db.selectFrom('agents').selectAll();
  if (q.ids !== undefined) query = query.where('id', 'in', q.ids);
  if (q.types !== undefined) query = query.where('agent_type', 'in', q.types);
  if (q.hosts !== undefined) query = query.where('host', 'in', q.hosts);
  return (await query.orderBy('host').orderBy('agent_type').execute()).map(fromRow);
}

/** What a heartbeat reports about one agent. */
export interface AgentReport {
  readonly agentType: string;
  readonly binary: string;
  readonly topic: string;
  readonly host: string;
  readonly availabilityZone: string;
  readonly configurations: Readonly<Record<string, unknown>>;
  /** True on the agent's first report after it started. */
  readonly start: boolean;
}

/** Record a heartbeat; creates the agent on its first report. Returns the agent and whether it is new. */
export async function recordHeartbeat(db: NetworkDb, r: AgentReport): Promise<{ agent: Agent; created: boolean }> {
  const t = now();
  const updated = await db
    .updateTable('agents')
    .set({
      binary: r.binary,
      topic: r.topic,
      availability_zone: r.availabilityZone,
      configurations: JSON.stringify(r.configurations),
      heartbeat_timestamp: t,
      ...(r.start ? { started_at: t } : {}),
    })
    .where('agent_type', '=', r.agentType)
    .where('host', '=', r.host)
    .executeTakeFirst();
  let created = false;
  if (Number(updated.numUpdatedRows) === 0) {
    await db
      .insertInto('agents')
      .values({
        id: newId(),
        agent_type: r.agentType,
        binary: r.binary,
        topic: r.topic,
        host: r.host,
        availability_zone: r.availabilityZone,
        admin_state_up: true,
        description: '',
        configurations: JSON.stringify(r.configurations),
        created_at: t,
        started_at: t,
        heartbeat_timestamp: t,
      })
      .execute();
    created = true;
  }
  const row = await db.selectFrom('agents').selectAll().where('agent_type', '=', r.agentType).where('host', '=', r.host).executeTakeFirstOrThrow();
  return { agent: fromRow(row), created };
}

/** Update the admin-settable fields of an agent. */
export async function updateAgentRow(db: NetworkDb, id: string, u: { adminStateUp?: boolean; description?: string }): Promise<void> {
  await db
    .updateTable('agents')
    .set({ ...(u.adminStateUp !== undefined ? { admin_state_up: u.adminStateUp } : {}), ...(u.description !== undefined ? { description: u.description } : {}) })
    .where('id', '=', id)
    .execute();
}

/** Delete an agent and its DHCP bindings. */
export async function deleteAgentRow(db: NetworkDb, id: string): Promise<void> {
  await db.deleteFrom('network_dhcp_agents').where('agent_id', '=', id).execute();
  await db.deleteFrom('agents').where('id', '=', id).execute();
}

/** DHCP agents serving a network. */
export async function dhcpAgentIdsOf(db: NetworkDb, networkId: string): Promise<string[]> {
  return (await db.selectFrom('network_dhcp_agents').select('agent_id').where('network_id', '=', networkId).execute()).map((r) => r.agent_id);
}

/** Networks a DHCP agent serves. */
export async function networksOfDhcpAgent(db: NetworkDb, agentId: string): Promise<string[]> {
  return (await db.selectFrom('network_dhcp_agents').select('network_id').where('agent_id', '=', agentId).execute()).map((r) => r.network_id);
}

/** Bind a network to a DHCP agent (no-op when bound). */
export async function bindDhcp(db: NetworkDb, networkId: string, agentId: string): Promise<boolean> {
  const exists = await db.selectFrom('network_dhcp_agents').select('agent_id').where('network_id', '=', networkId).where('agent_id', '=', agentId).executeTakeFirst();
  if (exists !== undefined) return false;
  await db.insertInto('network_dhcp_agents').values({ network_id: networkId, agent_id: agentId }).execute();
  return true;
}

/** Unbind a network from a DHCP agent; true when it was bound. */
export async function unbindDhcp(db: NetworkDb, networkId: string, agentId: string): Promise<boolean> {
  const r = await db.deleteFrom('network_dhcp_agents').where('network_id', '=', networkId).where('agent_id', '=', agentId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
