/** Agents (heartbeats, alive/dead), DHCP and L3 scheduling, and availability zones, as neutron's agent and scheduler extensions do. */
import type { TunnelPeerSpec } from '@strata/net';
import type { NeutronContext } from './neutron-context.js';
import { Effects, type PluginCore } from './plugin-core.js';
import type { NetworkDb } from './objects/common.js';
import { bindDhcp, deleteAgentRow, dhcpAgentIdsOf, loadAgents, networksOfDhcpAgent, recordHeartbeat, unbindDhcp, updateAgentRow, type Agent, type AgentReport } from './objects/agent.js';
import { findNetwork, loadNetworks } from './objects/network.js';
import { loadSubnets } from './objects/subnet.js';
import { deleteAllocations, deletePortRow, insertAllocations, loadPorts } from './objects/port.js';
import { findRouter, loadRouters, updateRouterRow } from './objects/router.js';
import { allocateIps } from './ipam/ipam.js';
import { conflict, notFound, bad } from './errors.js';
import { optBoolean, optString } from './attributes.js';
import type { PortApi } from './port-api.js';
import type { AgentStateReport } from './server/plugin-rpc.js';

/** Agent types the DHCP and L3 schedulers use. */
export const DHCP_AGENT = 'DHCP agent';
export const L3_AGENT = 'L3 agent';

/** An agent with its liveness, as the API shows it. */
export interface AgentWithState extends Agent {
  readonly alive: boolean;
}

/** An availability zone row. */
export interface AvailabilityZone {
  readonly name: string;
  readonly resource: 'network' | 'router';
  readonly state: 'available' | 'unavailable';
}

/** Agents and scheduling. */
export class AgentApi {
  readonly #core: PluginCore;
  #ports: PortApi | undefined;
  /** The live tunnel endpoints agents were last told about (JSON), undefined before the first look. */
  #tunnelsSeen: string | undefined;

  constructor(core: PluginCore) {
    this.#core = core;
  }

  /** Wire the port API (the two need each other: DHCP ports are ports). */
  usePorts(ports: PortApi): void {
    this.#ports = ports;
  }

  #alive(a: Agent): boolean {
    return Date.now() - Date.parse(a.heartbeatTimestamp) <= this.#core.settings.agentDownTimeMs;
  }

  #withState(a: Agent): AgentWithState {
    return { ...a, alive: this.#alive(a) };
  }

  /** Every agent for an admin; nothing for anyone else (neutron's policy hides them). */
  async list(ctx: NeutronContext): Promise<AgentWithState[]> {
    ctx.authorize('get_agents');
    if (!ctx.can('get_agent')) return [];
    return (await loadAgents(this.#core.db)).map((a) => this.#withState(a));
  }

  /** One agent (admin); 404 otherwise. */
  async get(ctx: NeutronContext, id: string): Promise<AgentWithState> {
    const a = (await loadAgents(this.#core.db, { ids: [id] }))[0];
    if (a === undefined || !ctx.can('get_agent')) throw notFound('Agent', id);
    ctx.authorize('get_agent');
    return this.#withState(a);
  }

  /** Set admin_state_up or the description (admin). */
  async update(ctx: NeutronContext, id: string, input: { adminStateUp?: unknown; description?: unknown }): Promise<AgentWithState> {
    await this.get(ctx, id);
    ctx.authorize('update_agent');
    const adminStateUp = optBoolean('admin_state_up', input.adminStateUp);
    const description = optString('description', input.description, 1024);
    await updateAgentRow(this.#core.db, id, { ...(adminStateUp !== undefined ? { adminStateUp } : {}), ...(description !== undefined ? { description } : {}) });
    return this.get(ctx, id);
  }

  /** Forget an agent (admin); it comes back at its next heartbeat. */
  async delete(ctx: NeutronContext, id: string): Promise<void> {
    await this.get(ctx, id);
    ctx.authorize('delete_agent');
    await deleteAgentRow(this.#core.db, id);
    await this.checkTunnelPeers();
  }

  /**
   * A heartbeat from `host`. On an agent's first report (or after a restart), networks that need
   * DHCP and routers without an L3 host are scheduled, so nothing waits for an agent that came late.
   */
  async reportState(host: string, start: boolean, reports: readonly AgentStateReport[]): Promise<void> {
    let fresh = false;
    for (const r of reports) {
      const report: AgentReport = { ...r, host, start };
      const { created } = await recordHeartbeat(this.#core.db, report);
      fresh ||= created || start;
    }
    if (fresh) await this.#rescheduleAll();
    await this.checkTunnelPeers();
  }

  /**
   * The VXLAN tunnel endpoints of live agents (those reporting `tunneling_ip` and `vxlan` among
   * their `tunnel_types`, as neutron's Linux bridge and OVS agents do), one per host and address.
   */
  async #tunnelEndpoints(): Promise<TunnelPeerSpec[]> {
    const out = new Map<string, TunnelPeerSpec>();
    for (const a of await loadAgents(this.#core.db)) {
      const { tunneling_ip: ip, tunnel_types: types } = a.configurations;
      if (typeof ip !== 'string' || ip === '' || !Array.isArray(types) || !types.includes('vxlan') || !this.#alive(a)) continue;
      out.set(`${a.host} ${ip}`, { host: a.host, ip });
    }
    return [...out.values()].sort((x, y) => x.host.localeCompare(y.host) || x.ip.localeCompare(y.ip));
  }

  /** The tunnel endpoints of the other hosts, for the agent of `host` (l2population's flood list). */
  async tunnelPeers(host: string): Promise<TunnelPeerSpec[]> {
    return (await this.#tunnelEndpoints()).filter((p) => p.host !== host);
  }

  /**
   * Tell every agent (fanout) when the live tunnel endpoints differ from the last look: an agent
   * came, went dead, was deleted or moved its address. Called after heartbeats and periodically
   * (an agent that stops reporting sends nothing). Never throws.
   */
  async checkTunnelPeers(): Promise<void> {
    try {
      const seen = JSON.stringify(await this.#tunnelEndpoints());
      if (seen === this.#tunnelsSeen) return;
      this.#tunnelsSeen = seen;
      this.#core.notifier.tunnelPeersUpdated();
    } catch (err) {
      this.#core.log.warn({ err: (err as Error).message }, 'tunnel endpoint check failed');
    }
  }

  async #rescheduleAll(): Promise<void> {
    const unhosted = await loadRouters(this.#core.db, { hosts: [null] });
    if (unhosted.length > 0) {
      const fx = await this.#core.transaction(async (trx) => {
        const fx = new Effects();
        for (const r of unhosted) {
          const host = await this.pickL3Host(trx);
          if (host === null) break;
          await updateRouterRow(trx, r.id, { host });
          fx.routers.add(r.id);
        }
        return fx;
      });
      await this.#core.apply(fx);
    }
    const withDhcp = await this.#core.db.selectFrom('subnets').select('network_id').distinct().where('enable_dhcp', '=', true).execute();
    const bound = new Set((await this.#core.db.selectFrom('network_dhcp_agents').select('network_id').execute()).map((r) => r.network_id));
    for (const r of withDhcp) if (!bound.has(r.network_id)) await this.scheduleNetwork(r.network_id);
  }

  async #liveAgents(db: NetworkDb, type: string): Promise<Agent[]> {
    return (await loadAgents(db, { types: [type] })).filter((a) => a.adminStateUp && this.#alive(a));
  }

  /** The least loaded live L3 agent's host, or null when there is none. */
  async pickL3Host(db: NetworkDb): Promise<string | null> {
    const agents = await this.#liveAgents(db, L3_AGENT);
    if (agents.length === 0) return null;
    const counts = new Map<string, number>();
    for (const r of await db.selectFrom('routers').select('host').where('host', 'is not', null).execute()) counts.set(r.host as string, (counts.get(r.host as string) ?? 0) + 1);
    agents.sort((a, b) => (counts.get(a.host) ?? 0) - (counts.get(b.host) ?? 0) || a.host.localeCompare(b.host));
    return agents[0]!.host;
  }

  /**
   * Make the DHCP service of a network match its subnets: bind it to live DHCP agents while it has
   * a DHCP-enabled subnet, give each agent's DHCP port an address on every such subnet, and undo
   * both when none is left. Never throws (a full pool only costs the DHCP port its address).
   */
  async scheduleNetwork(networkId: string, opts: { keepIdleBindings?: boolean } = {}): Promise<void> {
    try {
      const fx = await this.#core.transaction(async (trx, attempt) => {
        const fx = new Effects();
        await this.#scheduleInTx(trx, networkId, attempt, fx, opts.keepIdleBindings === true);
        return fx;
      });
      await this.#core.apply(fx);
    } catch (err) {
      this.#core.log.warn({ networkId, err: (err as Error).message }, 'DHCP scheduling failed');
    }
  }

  async #scheduleInTx(trx: NetworkDb, networkId: string, attempt: number, fx: Effects, keepIdleBindings: boolean): Promise<void> {
    const network = await findNetwork(trx, networkId);
    if (network === undefined) return;
    const subnets = await loadSubnets(trx, { networkIds: [networkId] });
    const dhcpSubnets = subnets.filter((s) => s.enableDhcp);
    const boundIds = await dhcpAgentIdsOf(trx, networkId);
    let agents = await loadAgents(trx, { ids: boundIds });
    const ports = await loadPorts(trx, { networkIds: [networkId], deviceOwners: ['network:dhcp'] });
    if (dhcpSubnets.length === 0) {
      // NOTE: an admin may schedule a network with no subnet yet by hand; that binding stays.
      if (keepIdleBindings) return;
      for (const p of ports) {
        await deletePortRow(trx, p.id);
        if (p.bindingHostId !== '') fx.portsDeleted.push({ host: p.bindingHostId, portId: p.id, networkId });
      }
      for (const a of agents) {
        await unbindDhcp(trx, networkId, a.id);
        fx.dhcpRemoved.push({ host: a.host, networkId });
      }
      return;
    }
    const want = this.#core.settings.dhcpAgentsPerNetwork;
    if (agents.length < want) {
      const counts = new Map<string, number>();
      for (const r of await trx.selectFrom('network_dhcp_agents').select('agent_id').execute()) counts.set(r.agent_id, (counts.get(r.agent_id) ?? 0) + 1);
      const candidates = (await this.#liveAgents(trx, DHCP_AGENT)).filter((a) => !boundIds.includes(a.id)).sort((a, b) => (counts.get(a.id) ?? 0) - (counts.get(b.id) ?? 0) || a.host.localeCompare(b.host));
      for (const a of candidates.slice(0, want - agents.length)) {
        await bindDhcp(trx, networkId, a.id);
        agents = [...agents, a];
      }
    }
    for (const a of agents) await this.#ensureDhcpPort(trx, network.id, network.projectId, a.host, dhcpSubnets.map((s) => s.id), ports, attempt, fx);
    fx.dhcpNetworks.add(networkId);
  }

  async #ensureDhcpPort(trx: NetworkDb, networkId: string, projectId: string, host: string, subnetIds: readonly string[], ports: Awaited<ReturnType<typeof loadPorts>>, attempt: number, fx: Effects): Promise<void> {
    const deviceId = `dhcp-${host}-${networkId}`;
    const port = ports.find((p) => p.deviceId === deviceId);
    if (port === undefined) {
      await this.#ports!.createInternal(trx, { networkId, projectId, deviceId, deviceOwner: 'network:dhcp', bindingHostId: host, fixedIps: subnetIds.map((subnetId) => ({ subnetId })) }, attempt, fx).catch((err: unknown) => {
        if ((err as { code?: string }).code === 'IpAddressGenerationFailure') return '';
        throw err;
      });
      return;
    }
    const have = new Set(port.fixedIps.map((f) => f.subnetId));
    const missing = subnetIds.filter((s) => !have.has(s));
    const stale = port.fixedIps.filter((f) => !subnetIds.includes(f.subnetId));
    if (stale.length > 0) await deleteAllocations(trx, port.id, stale);
    if (missing.length > 0) {
      const subnets = await loadSubnets(trx, { networkIds: [networkId] });
      try {
        const add = await allocateIps(trx, networkId, subnets, missing.map((subnetId) => ({ subnetId })), { macAddress: port.macAddress, deviceOwner: 'network:dhcp' }, attempt);
        await insertAllocations(trx, port.id, networkId, add);
      } catch (err) {
        if ((err as { code?: string }).code !== 'IpAddressGenerationFailure') throw err;
      }
    }
    if ((missing.length > 0 || stale.length > 0) && port.bindingHostId !== '') fx.portsUpdated.push({ host: port.bindingHostId, portId: port.id });
  }

  /** Networks a DHCP agent serves (admin). */
  async networksOfDhcpAgent(ctx: NeutronContext, agentId: string) {
    const a = await this.get(ctx, agentId);
    ctx.authorize('get_dhcp_networks');
    return loadNetworks(this.#core.db, { ids: await networksOfDhcpAgent(this.#core.db, a.id) });
  }

  /** DHCP agents serving a network (admin). */
  async dhcpAgentsOfNetwork(ctx: NeutronContext, networkId: string): Promise<AgentWithState[]> {
    ctx.authorize('get_dhcp_agents');
    if ((await findNetwork(this.#core.db, networkId)) === undefined) throw notFound('Network', networkId);
    return (await loadAgents(this.#core.db, { ids: await dhcpAgentIdsOf(this.#core.db, networkId) })).map((a) => this.#withState(a));
  }

  /** Schedule a network to a DHCP agent by hand (admin); 409 when it is already there. */
  async addNetworkToDhcpAgent(ctx: NeutronContext, agentId: string, networkId: unknown): Promise<void> {
    const a = await this.get(ctx, agentId);
    ctx.authorize('create_dhcp_network');
    if (a.agentType !== DHCP_AGENT) throw bad('InvalidDHCPAgent', `Agent ${agentId} is not a valid DHCP Agent or has been disabled.`);
    if (typeof networkId !== 'string' || (await findNetwork(this.#core.db, networkId)) === undefined) throw notFound('Network', String(networkId));
    if (!(await bindDhcp(this.#core.db, networkId, a.id))) throw conflict('NetworkHostedByDHCPAgent', `The network ${networkId} has been already hosted by the DHCP Agent ${agentId}.`);
    await this.scheduleNetwork(networkId, { keepIdleBindings: true });
  }

  /** Take a network off a DHCP agent (admin). */
  async removeNetworkFromDhcpAgent(ctx: NeutronContext, agentId: string, networkId: string): Promise<void> {
    const a = await this.get(ctx, agentId);
    ctx.authorize('delete_dhcp_network');
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      if (!(await unbindDhcp(trx, networkId, a.id))) throw conflict('NetworkNotHostedByDhcpAgent', `The network ${networkId} is not hosted by the DHCP agent ${agentId}.`);
      for (const p of await loadPorts(trx, { networkIds: [networkId], deviceIds: [`dhcp-${a.host}-${networkId}`] })) {
        await deletePortRow(trx, p.id);
        fx.portsDeleted.push({ host: a.host, portId: p.id, networkId });
      }
      fx.dhcpRemoved.push({ host: a.host, networkId });
      return fx;
    });
    await this.#core.apply(fx);
  }

  /** Routers an L3 agent hosts (admin). */
  async routersOfL3Agent(ctx: NeutronContext, agentId: string) {
    const a = await this.get(ctx, agentId);
    ctx.authorize('get_l3_routers');
    if (a.agentType !== L3_AGENT) return [];
    return loadRouters(this.#core.db, { hosts: [a.host] });
  }

  /** L3 agents hosting a router (admin). */
  async l3AgentsOfRouter(ctx: NeutronContext, routerId: string): Promise<AgentWithState[]> {
    ctx.authorize('get_l3_agents');
    const r = await findRouter(this.#core.db, routerId);
    if (r === undefined) throw notFound('Router', routerId);
    if (r.host === null) return [];
    return (await loadAgents(this.#core.db, { types: [L3_AGENT], hosts: [r.host] })).map((a) => this.#withState(a));
  }

  /** Move a router to an L3 agent (admin). */
  async addRouterToL3Agent(ctx: NeutronContext, agentId: string, routerId: unknown): Promise<void> {
    const a = await this.get(ctx, agentId);
    ctx.authorize('create_l3_router');
    if (a.agentType !== L3_AGENT) throw bad('InvalidL3Agent', `Agent ${agentId} is not a L3 Agent or has been disabled.`);
    const r = typeof routerId === 'string' ? await findRouter(this.#core.db, routerId) : undefined;
    if (r === undefined) throw notFound('Router', String(routerId));
    if (r.host === a.host) throw conflict('RouterHostedByL3Agent', `The router ${r.id} has been already hosted by the L3 Agent ${agentId}.`);
    const fx = new Effects();
    if (r.host !== null) fx.routersDeleted.push({ host: r.host, routerId: r.id });
    await updateRouterRow(this.#core.db, r.id, { host: a.host });
    fx.routers.add(r.id);
    await this.#core.apply(fx);
  }

  /** Take a router off an L3 agent (admin). */
  async removeRouterFromL3Agent(ctx: NeutronContext, agentId: string, routerId: string): Promise<void> {
    const a = await this.get(ctx, agentId);
    ctx.authorize('delete_l3_router');
    const r = await findRouter(this.#core.db, routerId);
    if (r === undefined || r.host !== a.host) throw conflict('RouterNotHostedByL3Agent', `The router ${routerId} is not hosted by L3 agent ${agentId}.`);
    await updateRouterRow(this.#core.db, r.id, { host: null });
    const fx = new Effects();
    fx.routersDeleted.push({ host: a.host, routerId });
    await this.#core.apply(fx);
  }

  /** Availability zones from the DHCP (network) and L3 (router) agents. */
  async availabilityZones(ctx: NeutronContext): Promise<AvailabilityZone[]> {
    ctx.authorize('get_availability_zone');
    const out = new Map<string, AvailabilityZone>();
    for (const a of await loadAgents(this.#core.db, { types: [DHCP_AGENT, L3_AGENT] })) {
      const resource = a.agentType === DHCP_AGENT ? 'network' : 'router';
      const key = `${a.availabilityZone}/${resource}`;
      const alive = a.adminStateUp && this.#alive(a);
      const prev = out.get(key);
      if (prev === undefined || (alive && prev.state === 'unavailable')) out.set(key, { name: a.availabilityZone, resource, state: alive ? 'available' : 'unavailable' });
    }
    return [...out.values()];
  }
}
