/** The agent side of the AgentRpc API: wires what neutron-server casts, through the backend, and reports back (FLOW.md steps 34 and 36). */
import { randomUUID } from 'node:crypto';
import type { NetworkBackend } from '@strata/net';
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import type { PluginRpc } from '../server/plugin-rpc.js';
import { AGENT, mark, traceOfRpc } from '../server/flow.js';
import type { AgentRpc } from './agent-rpc.js';

/** Runs one task per key at a time, in arrival order (nova's synchronized(instance.uuid)). */
class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}

/** Options of the manager. */
export interface AgentManagerOptions {
  readonly host: string;
  readonly backend: NetworkBackend;
  readonly plugin: PluginRpc;
  readonly logger: Logger;
  /** Where FLOW.md steps of traced messages go. */
  readonly tracer?: Tracer;
}

/**
 * Handles every AgentRpc cast for one host. Each handler reads what it needs from the plugin,
 * applies it through the backend, and reports the outcome; per-resource work is serialized. A
 * handler never throws to the bus: failures are logged and reported (port down).
 */
export class AgentManager implements AgentRpc {
  readonly #host: string;
  readonly #backend: NetworkBackend;
  readonly #plugin: PluginRpc;
  readonly #log: Logger;
  readonly #tracer: Tracer | undefined;
  readonly #locks = new KeyedMutex();
  /** Ports plugged on this host (for security group refreshes). */
  readonly #plugged = new Set<string>();

  constructor(opts: AgentManagerOptions) {
    this.#host = opts.host;
    this.#backend = opts.backend;
    this.#plugin = opts.plugin;
    this.#log = opts.logger.child({ component: 'agent-manager', host: opts.host });
    this.#tracer = opts.tracer;
  }

  /** Ports this agent has plugged, for tests and resync. */
  get pluggedPorts(): ReadonlySet<string> {
    return this.#plugged;
  }

  #ctx(from?: RpcContext): RpcContext {
    return { requestId: from?.requestId ?? `req-${randomUUID()}`, ...(from?.globalRequestId !== undefined ? { globalRequestId: from.globalRequestId } : {}), roles: ['admin'], ...(from?.trace !== undefined ? { trace: { traceId: from.trace.traceId, parentStep: 36 } } : {}) };
  }

  /** Apply the whole state of the host (after a start) and report every plugged port up. */
  async resync(): Promise<void> {
    const ctx = this.#ctx();
    const state = await this.#plugin.getHostState(ctx, { host: this.#host });
    await this.#syncTunnelPeers(ctx);
    await this.#backend.reconcile(state);
    this.#plugged.clear();
    for (const p of state.ports) this.#plugged.add(p.id);
    for (const r of state.routers) await this.#reportFloatingIps(ctx, r.id, await this.#backend.ensureRouter(r));
    for (const p of state.ports) await this.#plugin.updateDeviceUp(ctx, { portId: p.id, host: this.#host }).catch((err: unknown) => this.#log.warn({ portId: p.id, err: (err as Error).message }, 'device up report failed'));
    this.#log.info({ ports: state.ports.length, dhcp: state.dhcp.length, routers: state.routers.length }, 'host resynced');
  }

  async portUpdated(ctx: RpcContext, args: { portId: string }): Promise<void> {
    await this.#locks.run(`port:${args.portId}`, async () => {
      const trace = traceOfRpc(this.#tracer, ctx);
      const received = Date.now();
      const spec = await this.#plugin.getPortDetails(this.#ctx(ctx), { portId: args.portId, host: this.#host });
      if (spec === null) {
        await this.#unplug(args.portId);
        return;
      }
      try {
        await this.#backend.plugPort(spec);
        this.#plugged.add(spec.id);
        mark(trace, 34, AGENT, 'rpc', `neutron-agent on ${this.#host} wired port ${spec.id} with the ${this.#backend.name} backend`, received);
      } catch (err) {
        mark(trace, 34, AGENT, 'rpc', (err as Error).message, received, 'error');
        this.#log.error({ portId: spec.id, err: (err as Error).message }, 'failed to wire port');
        await this.#plugin.updateDeviceDown(this.#ctx(ctx), { portId: spec.id, host: this.#host, reason: (err as Error).message }).catch(() => undefined);
        return;
      }
      if (!spec.adminStateUp) {
        await this.#plugin.updateDeviceDown(this.#ctx(ctx), { portId: spec.id, host: this.#host });
        return;
      }
      const reported = Date.now();
      await this.#plugin.updateDeviceUp(this.#ctx(ctx), { portId: spec.id, host: this.#host });
      mark(trace, 36, AGENT, 'rpc', `neutron-agent on ${this.#host} reported port ${spec.id} up`, reported);
    });
  }

  async #unplug(portId: string): Promise<void> {
    if (!this.#plugged.has(portId)) return;
    await this.#backend.unplugPort(portId);
    this.#plugged.delete(portId);
  }

  async portDeleted(_ctx: RpcContext, args: { portId: string; networkId: string }): Promise<void> {
    await this.#locks.run(`port:${args.portId}`, async () => {
      await this.#backend.unplugPort(args.portId);
      this.#plugged.delete(args.portId);
    });
  }

  async networkDeleted(_ctx: RpcContext, args: { networkId: string }): Promise<void> {
    await this.#locks.run(`network:${args.networkId}`, () => this.#backend.deleteNetwork(args.networkId));
  }

  async dhcpNetworkUpdated(ctx: RpcContext, args: { networkId: string }): Promise<void> {
    await this.#locks.run(`dhcp:${args.networkId}`, async () => {
      const spec = await this.#plugin.getDhcpSpec(this.#ctx(ctx), { networkId: args.networkId, host: this.#host });
      if (spec === null) await this.#backend.removeDhcp(args.networkId);
      else await this.#backend.configureDhcp(spec);
    });
  }

  async dhcpNetworkRemoved(_ctx: RpcContext, args: { networkId: string }): Promise<void> {
    await this.#locks.run(`dhcp:${args.networkId}`, () => this.#backend.removeDhcp(args.networkId));
  }

  async routerUpdated(ctx: RpcContext, args: { routerId: string }): Promise<void> {
    await this.#locks.run(`router:${args.routerId}`, async () => {
      const spec = await this.#plugin.getRouterSpec(this.#ctx(ctx), { routerId: args.routerId, host: this.#host });
      if (spec === null) {
        await this.#backend.deleteRouter(args.routerId);
        return;
      }
      await this.#reportFloatingIps(this.#ctx(ctx), spec.id, await this.#backend.ensureRouter(spec));
    });
  }

  async #reportFloatingIps(ctx: RpcContext, routerId: string, result: { floatingIpStatuses: Readonly<Record<string, string>> }): Promise<void> {
    if (Object.keys(result.floatingIpStatuses).length === 0) return;
    await this.#plugin.updateFloatingIpStatuses(ctx, { routerId, statuses: { ...result.floatingIpStatuses } });
  }

  async routerDeleted(_ctx: RpcContext, args: { routerId: string }): Promise<void> {
    await this.#locks.run(`router:${args.routerId}`, () => this.#backend.deleteRouter(args.routerId));
  }

  async tunnelPeersUpdated(ctx: RpcContext, _args: Record<string, never>): Promise<void> {
    await this.#syncTunnelPeers(this.#ctx(ctx));
  }

  /** Read the tunnel peers again without being told (the agent does after its heartbeats). */
  refreshTunnelPeers(): Promise<void> {
    return this.#syncTunnelPeers(this.#ctx());
  }

  /** Give the backend the tunnel endpoints of the other hosts (backends with tunnels only); failures are logged. */
  async #syncTunnelPeers(ctx: RpcContext): Promise<void> {
    const backend = this.#backend;
    if (backend.setTunnelPeers === undefined) return;
    await this.#locks.run('tunnels', async () => {
      try {
        await backend.setTunnelPeers!(await this.#plugin.getTunnelPeers(ctx, { host: this.#host }));
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'failed to set tunnel peers');
      }
    });
  }

  async securityGroupsUpdated(ctx: RpcContext, args: { securityGroupIds: string[] }): Promise<void> {
    const ports = [...this.#plugged];
    if (ports.length === 0) return;
    const sec = await this.#plugin.getPortSecurity(this.#ctx(ctx), { portIds: ports });
    // All touched ports at once: a backend can then apply them together (one firewall update).
    await Promise.all(
      Object.entries(sec).map(async ([portId, s]) => {
        const touched = s.security.securityGroupIds.some((g) => args.securityGroupIds.includes(g)) || s.security.rules.some((r) => r.remoteGroupId !== null && args.securityGroupIds.includes(r.remoteGroupId));
        if (!touched) return;
        await this.#locks.run(`port:${portId}`, () => this.#backend.updatePortSecurity(portId, s.security, s.allowedAddressPairs)).catch((err: unknown) => this.#log.error({ portId, err: (err as Error).message }, 'failed to update port security'));
      }),
    );
  }
}
