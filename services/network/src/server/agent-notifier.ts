/** Tells agents what changed, after the change is committed: port casts at once, DHCP/router/security group/tunnel casts coalesced. */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import type { AgentRpcClient } from '../agent/agent-rpc.js';

/** How long DHCP, router, security group and tunnel notifications wait to coalesce. @default 20 ms */
const COALESCE_MS = 20;

function serviceCtx(): RpcContext {
  return { requestId: `req-${randomUUID()}`, roles: ['admin'] };
}

/**
 * Neutron's agent notifier API. Every method resolves once the message is on the bus (or was
 * dropped with a warning when the bus failed): a notification never fails the API request, and an
 * agent that missed one catches up at its next resync.
 */
export class AgentNotifier {
  readonly #client: AgentRpcClient | undefined;
  readonly #log: Logger;
  readonly #dhcp = new Map<string, Set<string>>();
  readonly #routers = new Map<string, Set<string>>();
  readonly #groups = new Set<string>();
  #tunnels = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  /** `client` undefined: a server without a bus (unit tests); every notification is a no-op. */
  constructor(client: AgentRpcClient | undefined, log: Logger) {
    this.#client = client;
    this.#log = log.child({ component: 'agent-notifier' });
  }

  async #send(what: string, fields: object, fn: (c: AgentRpcClient) => Promise<void>): Promise<void> {
    if (this.#client === undefined || this.#closed) return;
    const p = fn(this.#client).catch((err: unknown) => this.#log.warn({ ...fields, what, err: (err as Error).message }, 'agent notification dropped'));
    this.#inflight.add(p);
    try {
      await p;
    } finally {
      this.#inflight.delete(p);
    }
  }

  /** A port bound to `host` changed (FLOW.md step 33 when `ctx` carries a trace). */
  portUpdated(host: string, portId: string, ctx: RpcContext = serviceCtx()): Promise<void> {
    return this.#send('portUpdated', { host, portId }, (c) => c.portUpdated(ctx, host, portId));
  }

  /** A port bound to `host` is gone or moved away. */
  portDeleted(host: string, portId: string, networkId: string): Promise<void> {
    return this.#send('portDeleted', { host, portId }, (c) => c.portDeleted(serviceCtx(), host, portId, networkId));
  }

  /** A network is gone (every agent). */
  networkDeleted(networkId: string): Promise<void> {
    return this.#send('networkDeleted', { networkId }, (c) => c.networkDeleted(serviceCtx(), networkId));
  }

  /** The DHCP service of a network served by `host` must be refreshed (coalesced). */
  dhcpNetworkUpdated(host: string, networkId: string): void {
    (this.#dhcp.get(host) ?? this.#dhcp.set(host, new Set()).get(host)!).add(networkId);
    this.#schedule();
  }

  /** `host` no longer serves DHCP on a network. */
  dhcpNetworkRemoved(host: string, networkId: string): Promise<void> {
    this.#dhcp.get(host)?.delete(networkId);
    return this.#send('dhcpNetworkRemoved', { host, networkId }, (c) => c.dhcpNetworkRemoved(serviceCtx(), host, networkId));
  }

  /** A router scheduled to `host` changed (coalesced). */
  routerUpdated(host: string, routerId: string): void {
    (this.#routers.get(host) ?? this.#routers.set(host, new Set()).get(host)!).add(routerId);
    this.#schedule();
  }

  /** A router scheduled to `host` is gone. */
  routerDeleted(host: string, routerId: string): Promise<void> {
    this.#routers.get(host)?.delete(routerId);
    return this.#send('routerDeleted', { host, routerId }, (c) => c.routerDeleted(serviceCtx(), host, routerId));
  }

  /** Rules or members of these groups changed (every agent; coalesced). */
  securityGroupsUpdated(groupIds: readonly string[]): void {
    for (const g of groupIds) this.#groups.add(g);
    this.#schedule();
  }

  /** The live VXLAN tunnel endpoints changed (every agent; coalesced). */
  tunnelPeersUpdated(): void {
    this.#tunnels = true;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, COALESCE_MS);
    this.#timer.unref();
  }

  /** Send every pending coalesced notification now. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const sends: Array<Promise<void>> = [];
    for (const [host, nets] of this.#dhcp) for (const n of nets) sends.push(this.#send('dhcpNetworkUpdated', { host, networkId: n }, (c) => c.dhcpNetworkUpdated(serviceCtx(), host, n)));
    this.#dhcp.clear();
    for (const [host, routers] of this.#routers) for (const r of routers) sends.push(this.#send('routerUpdated', { host, routerId: r }, (c) => c.routerUpdated(serviceCtx(), host, r)));
    this.#routers.clear();
    if (this.#groups.size > 0) {
      const ids = [...this.#groups];
      this.#groups.clear();
      sends.push(this.#send('securityGroupsUpdated', { groups: ids.length }, (c) => c.securityGroupsUpdated(serviceCtx(), ids)));
    }
    if (this.#tunnels) {
      this.#tunnels = false;
      sends.push(this.#send('tunnelPeersUpdated', {}, (c) => c.tunnelPeersUpdated(serviceCtx())));
    }
    await Promise.all(sends);
  }

  /** Flush, wait for sends in flight, then drop anything later. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.allSettled([...this.#inflight]);
    this.#closed = true;
  }
}
