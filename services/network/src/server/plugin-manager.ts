/** The server side of the plugin RPC API: agents' reads and writes through neutron-server (FLOW.md steps 35–38). */
import { isIP } from 'node:net';
import type { AddressPairSpec, DesiredHostState, DhcpSpec, PortSecuritySpec, PortSpec, RouterSpec, TunnelPeerSpec } from '@strata/net';
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import type { PluginCore } from '../plugin-core.js';
import type { AgentApi } from '../agent-api.js';
import type { L3Api } from '../l3-api.js';
import { loadPorts, setPortStatus } from '../objects/port.js';
import { dhcpSpecs, hostState, portSecurity, portSpecFor, routerSpecs } from './host-specs.js';
import { mark, PLUGIN, SERVER, traceOfRpc } from './flow.js';
import type { AgentStateReport, MetadataInstance, PluginRpc } from './plugin-rpc.js';

/** Implements PluginRpc for every agent; one per neutron-server. */
export class PluginManager implements PluginRpc {
  readonly #core: PluginCore;
  readonly #agents: AgentApi;
  readonly #l3: L3Api;
  readonly #tracer: Tracer;
  readonly #log: Logger;

  constructor(core: PluginCore, agents: AgentApi, l3: L3Api, tracer: Tracer, log: Logger) {
    this.#core = core;
    this.#agents = agents;
    this.#l3 = l3;
    this.#tracer = tracer;
    this.#log = log.child({ component: 'plugin-rpc' });
  }

  async reportState(_ctx: RpcContext, args: { host: string; start: boolean; agents: AgentStateReport[] }): Promise<{ ok: true }> {
    await this.#agents.reportState(args.host, args.start, args.agents);
    return { ok: true };
  }

  async getHostState(_ctx: RpcContext, args: { host: string }): Promise<DesiredHostState> {
    return hostState(this.#core.db, args.host);
  }

  async getPortDetails(_ctx: RpcContext, args: { portId: string; host: string }): Promise<PortSpec | null> {
    return portSpecFor(this.#core.db, args.portId, args.host);
  }

  async updateDeviceUp(ctx: RpcContext, args: { portId: string; host: string }): Promise<{ status: string }> {
    const trace = traceOfRpc(this.#tracer, ctx);
    mark(trace, 37, SERVER, 'rpc', `neutron-server receives the device-up report of port ${args.portId}`);
    const started = Date.now();
    const changed = await setPortStatus(this.#core.db, args.portId, 'ACTIVE', args.host);
    const port = (await loadPorts(this.#core.db, { ids: [args.portId] }))[0];
    mark(trace, 35, PLUGIN, 'db', `port ${args.portId} saved ACTIVE for the agent on ${args.host}`, started);
    if (port === undefined) return { status: 'NOT_FOUND' };
    if (changed) {
      this.#log.info({ portId: port.id, host: args.host, requestId: ctx.requestId }, 'port is up');
      if (port.deviceOwner.startsWith('compute:') && port.deviceId !== '') {
        const sentAt = Date.now();
        const outcome = await this.#core.nova.notify([{ name: 'network-vif-plugged', serverUuid: port.deviceId, tag: port.id, status: 'completed' }], ctx.globalRequestId);
        mark(trace, 38, SERVER, 'http', `network-vif-plugged for server ${port.deviceId}: ${outcome}`, sentAt, outcome === 'failed' ? 'error' : 'ok');
      } else {
        mark(trace, 38, SERVER, 'http', 'port is ACTIVE; no compute device to notify');
      }
    }
    return { status: port.status };
  }

  async updateDeviceDown(ctx: RpcContext, args: { portId: string; host: string; reason?: string }): Promise<{ status: string }> {
    await setPortStatus(this.#core.db, args.portId, 'DOWN', args.host);
    if (args.reason !== undefined) this.#log.warn({ portId: args.portId, host: args.host, reason: args.reason, requestId: ctx.requestId }, 'agent reports port down');
    const port = (await loadPorts(this.#core.db, { ids: [args.portId] }))[0];
    return { status: port?.status ?? 'NOT_FOUND' };
  }

  async getDhcpSpec(_ctx: RpcContext, args: { networkId: string; host: string }): Promise<DhcpSpec | null> {
    return (await dhcpSpecs(this.#core.db, args.host, [args.networkId]))[0] ?? null;
  }

  async getRouterSpec(_ctx: RpcContext, args: { routerId: string; host: string }): Promise<RouterSpec | null> {
    return (await routerSpecs(this.#core.db, args.host, [args.routerId]))[0] ?? null;
  }

  async updateFloatingIpStatuses(_ctx: RpcContext, args: { routerId: string; statuses: Record<string, string> }): Promise<{ ok: true }> {
    await this.#l3.setFloatingIpStatuses(args.routerId, args.statuses);
    return { ok: true };
  }

  async getPortSecurity(_ctx: RpcContext, args: { portIds: string[] }): Promise<Record<string, { security: PortSecuritySpec; allowedAddressPairs: AddressPairSpec[] }>> {
    const ports = await loadPorts(this.#core.db, { ids: args.portIds });
    const sec = await portSecurity(this.#core.db, ports);
    const out: Record<string, { security: PortSecuritySpec; allowedAddressPairs: AddressPairSpec[] }> = {};
    for (const p of ports) out[p.id] = { security: sec.get(p.id)!, allowedAddressPairs: p.allowedAddressPairs.map((a) => ({ ...a })) };
    return out;
  }

  async getTunnelPeers(_ctx: RpcContext, args: { host: string }): Promise<TunnelPeerSpec[]> {
    return this.#agents.tunnelPeers(args.host);
  }

  async getMetadataInstance(_ctx: RpcContext, args: { networkId?: string; routerId?: string; ip: string }): Promise<MetadataInstance | null> {
    const id = (v: unknown): v is string => typeof v === 'string' && v !== '';
    if (typeof args.ip !== 'string' || isIP(args.ip) === 0) return null;
    let networkIds: string[];
    if (id(args.networkId)) networkIds = [args.networkId];
    else if (id(args.routerId)) networkIds = (await loadPorts(this.#core.db, { deviceIds: [args.routerId] })).filter((p) => p.deviceOwner.startsWith('network:router_interface')).map((p) => p.networkId);
    else return null;
    const ports = await loadPorts(this.#core.db, { networkIds, ipAddresses: [args.ip] });
    const port = ports.find((p) => p.deviceOwner.startsWith('compute:') && p.deviceId !== '');
    return port === undefined ? null : { instanceId: port.deviceId, tenantId: port.projectId };
  }
}
