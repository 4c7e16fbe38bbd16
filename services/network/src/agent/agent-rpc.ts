/**
 * Client side of the neutron-agent RPC API: what neutron-server tells the agent of a host (`neutron-agent.<host>`).
 *
 * Version history:
 * - 1.0 - portUpdated, portDeleted, networkDeleted, dhcpNetworkUpdated, dhcpNetworkRemoved,
 *         routerUpdated, routerDeleted, securityGroupsUpdated
 * - 1.1 - tunnelPeersUpdated
 */
import { RpcClient, type RpcContext, type Transport } from '@strata/rpc';

/** The topic every neutron-agent consumes; each also takes `neutron-agent.<host>`. */
export const AGENT_TOPIC = 'neutron-agent';
/** The version this code implements. */
export const AGENT_RPC_VERSION = '1.1';

/**
 * The contract. Every method is a cast (a command; the agent reads what it needs back through the
 * plugin RPC and reports there), so a slow host never holds up an API request.
 */
export interface AgentRpc {
  /** cast: (re)wire a port bound to this host. */
  portUpdated(ctx: RpcContext, args: { portId: string }): Promise<void>;
  /** cast: unplug a port that was bound to this host. */
  portDeleted(ctx: RpcContext, args: { portId: string; networkId: string }): Promise<void>;
  /** cast (fanout): a network is gone; drop anything of it. */
  networkDeleted(ctx: RpcContext, args: { networkId: string }): Promise<void>;
  /** cast: refresh the DHCP service of a network this host serves. */
  dhcpNetworkUpdated(ctx: RpcContext, args: { networkId: string }): Promise<void>;
  /** cast: stop serving DHCP on a network. */
  dhcpNetworkRemoved(ctx: RpcContext, args: { networkId: string }): Promise<void>;
  /** cast: build or refresh a router scheduled to this host. */
  routerUpdated(ctx: RpcContext, args: { routerId: string }): Promise<void>;
  /** cast: tear down a router. */
  routerDeleted(ctx: RpcContext, args: { routerId: string }): Promise<void>;
  /** cast (fanout): rules of these groups changed; refresh the ports that use them. */
  securityGroupsUpdated(ctx: RpcContext, args: { securityGroupIds: string[] }): Promise<void>;
  /** cast (fanout, 1.1): the live VXLAN tunnel endpoints changed; read them back (getTunnelPeers). */
  tunnelPeersUpdated(ctx: RpcContext, args: Record<string, never>): Promise<void>;
}

/** Sends AgentRpc messages (neutron's agent notifier API). */
export class AgentRpcClient {
  readonly #client: RpcClient;

  /** `topicPrefix` isolates test runs that share a broker. */
  constructor(transport: Transport, opts: { versionCap?: string; topicPrefix?: string } = {}) {
    this.#client = new RpcClient(transport, { topic: `${opts.topicPrefix ?? ''}${AGENT_TOPIC}`, version: AGENT_RPC_VERSION, ...(opts.versionCap !== undefined ? { versionCap: opts.versionCap } : {}) });
  }

  portUpdated(ctx: RpcContext, host: string, portId: string): Promise<void> {
    return this.#client.prepare({ server: host }).cast(ctx, 'portUpdated', { portId });
  }
  portDeleted(ctx: RpcContext, host: string, portId: string, networkId: string): Promise<void> {
    return this.#client.prepare({ server: host }).cast(ctx, 'portDeleted', { portId, networkId });
  }
  networkDeleted(ctx: RpcContext, networkId: string): Promise<void> {
    return this.#client.prepare({ fanout: true }).cast(ctx, 'networkDeleted', { networkId });
  }
  dhcpNetworkUpdated(ctx: RpcContext, host: string, networkId: string): Promise<void> {
    return this.#client.prepare({ server: host }).cast(ctx, 'dhcpNetworkUpdated', { networkId });
  }
  dhcpNetworkRemoved(ctx: RpcContext, host: string, networkId: string): Promise<void> {
    return this.#client.prepare({ server: host }).cast(ctx, 'dhcpNetworkRemoved', { networkId });
  }
  routerUpdated(ctx: RpcContext, host: string, routerId: string): Promise<void> {
    return this.#client.prepare({ server: host }).cast(ctx, 'routerUpdated', { routerId });
  }
  routerDeleted(ctx: RpcContext, host: string, routerId: string): Promise<void> {
    return this.#client.prepare({ server: host }).cast(ctx, 'routerDeleted', { routerId });
  }
  securityGroupsUpdated(ctx: RpcContext, securityGroupIds: string[]): Promise<void> {
    return this.#client.prepare({ fanout: true }).cast(ctx, 'securityGroupsUpdated', { securityGroupIds });
  }
  tunnelPeersUpdated(ctx: RpcContext): Promise<void> {
    return this.#client.prepare({ fanout: true, version: '1.1' }).cast(ctx, 'tunnelPeersUpdated', {});
  }
}
