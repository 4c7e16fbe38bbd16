/**
 * Client side of the plugin RPC API: how a neutron-agent reads and writes through neutron-server (`q-plugin`).
 *
 * Version history:
 * - 1.0 - reportState, getHostState, getPortDetails, updateDeviceUp, updateDeviceDown, getDhcpSpec,
 *         getRouterSpec, updateFloatingIpStatuses, getPortSecurity
 * - 1.1 - getTunnelPeers
 * - 1.2 - getMetadataInstance
 */
import { RpcClient, type RpcContext, type Transport } from '@strata/rpc';
import type { AddressPairSpec, DesiredHostState, DhcpSpec, PortSecuritySpec, PortSpec, RouterSpec, TunnelPeerSpec } from '@strata/net';

/** The topic neutron-server consumes (neutron's topics.PLUGIN). */
export const PLUGIN_TOPIC = 'q-plugin';
/** The version this code implements. */
export const PLUGIN_RPC_VERSION = '1.2';

/** One agent's state in a heartbeat. */
export interface AgentStateReport {
  readonly agentType: string;
  readonly binary: string;
  readonly topic: string;
  readonly availabilityZone: string;
  readonly configurations: Record<string, unknown>;
}

/** The server a metadata request comes from (what neutron's metadata agent signs for nova). */
export interface MetadataInstance {
  /** The compute port's device_id: the server's id. */
  readonly instanceId: string;
  /** The port's project. */
  readonly tenantId: string;
}

/**
 * The contract; every method is a call. Agents hold no database credentials (FLOW.md step 35:
 * the agent saves its result through here).
 */
export interface PluginRpc {
  /** Record a heartbeat of the agents of a host; `start` on the first one after a restart. */
  reportState(ctx: RpcContext, args: { host: string; start: boolean; agents: AgentStateReport[] }): Promise<{ ok: true }>;
  /** Everything that should be wired on a host (resync after a start). */
  getHostState(ctx: RpcContext, args: { host: string }): Promise<DesiredHostState>;
  /** What a port bound to `host` needs, or null when it is no longer bound there. */
  getPortDetails(ctx: RpcContext, args: { portId: string; host: string }): Promise<PortSpec | null>;
  /** The port is wired: it goes ACTIVE (and nova hears network-vif-plugged). */
  updateDeviceUp(ctx: RpcContext, args: { portId: string; host: string }): Promise<{ status: string }>;
  /** The port could not be wired or was unplugged: it goes DOWN. */
  updateDeviceDown(ctx: RpcContext, args: { portId: string; host: string; reason?: string }): Promise<{ status: string }>;
  /** The DHCP service of a network served from `host`, or null when it is not served there. */
  getDhcpSpec(ctx: RpcContext, args: { networkId: string; host: string }): Promise<DhcpSpec | null>;
  /** A router scheduled to `host`, or null when it is not (or no longer) there. */
  getRouterSpec(ctx: RpcContext, args: { routerId: string; host: string }): Promise<RouterSpec | null>;
  /** Floating IP states after a router build. */
  updateFloatingIpStatuses(ctx: RpcContext, args: { routerId: string; statuses: Record<string, string> }): Promise<{ ok: true }>;
  /** Current firewall of some ports. */
  getPortSecurity(ctx: RpcContext, args: { portIds: string[] }): Promise<Record<string, { security: PortSecuritySpec; allowedAddressPairs: AddressPairSpec[] }>>;
  /** (1.1) The VXLAN tunnel endpoints of the live agents of the other hosts. */
  getTunnelPeers(ctx: RpcContext, args: { host: string }): Promise<TunnelPeerSpec[]>;
  /**
   * (1.2) The server behind fixed IP `ip` on network `networkId` (or on a network of router
   * `routerId`'s interfaces): its compute port's device and project; null when there is none.
   */
  getMetadataInstance(ctx: RpcContext, args: { networkId?: string; routerId?: string; ip: string }): Promise<MetadataInstance | null>;
}

/** The agent's client of PluginRpc. */
export class PluginRpcClient implements PluginRpc {
  readonly #client: RpcClient;

  /** `topicPrefix` isolates test runs that share a broker. */
  constructor(transport: Transport, opts: { timeoutMs?: number; versionCap?: string; topicPrefix?: string } = {}) {
    this.#client = new RpcClient(transport, {
      topic: `${opts.topicPrefix ?? ''}${PLUGIN_TOPIC}`,
      version: PLUGIN_RPC_VERSION,
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.versionCap !== undefined ? { versionCap: opts.versionCap } : {}),
    });
  }

  reportState(ctx: RpcContext, args: { host: string; start: boolean; agents: AgentStateReport[] }): Promise<{ ok: true }> {
    return this.#client.call(ctx, 'reportState', args);
  }
  getHostState(ctx: RpcContext, args: { host: string }): Promise<DesiredHostState> {
    return this.#client.call(ctx, 'getHostState', args);
  }
  getPortDetails(ctx: RpcContext, args: { portId: string; host: string }): Promise<PortSpec | null> {
    return this.#client.call(ctx, 'getPortDetails', args);
  }
  updateDeviceUp(ctx: RpcContext, args: { portId: string; host: string }): Promise<{ status: string }> {
    return this.#client.call(ctx, 'updateDeviceUp', args);
  }
  updateDeviceDown(ctx: RpcContext, args: { portId: string; host: string; reason?: string }): Promise<{ status: string }> {
    return this.#client.call(ctx, 'updateDeviceDown', args);
  }
  getDhcpSpec(ctx: RpcContext, args: { networkId: string; host: string }): Promise<DhcpSpec | null> {
    return this.#client.call(ctx, 'getDhcpSpec', args);
  }
  getRouterSpec(ctx: RpcContext, args: { routerId: string; host: string }): Promise<RouterSpec | null> {
    return this.#client.call(ctx, 'getRouterSpec', args);
  }
  updateFloatingIpStatuses(ctx: RpcContext, args: { routerId: string; statuses: Record<string, string> }): Promise<{ ok: true }> {
    return this.#client.call(ctx, 'updateFloatingIpStatuses', args);
  }
  getPortSecurity(ctx: RpcContext, args: { portIds: string[] }): Promise<Record<string, { security: PortSecuritySpec; allowedAddressPairs: AddressPairSpec[] }>> {
    return this.#client.call(ctx, 'getPortSecurity', args);
  }
  getTunnelPeers(ctx: RpcContext, args: { host: string }): Promise<TunnelPeerSpec[]> {
    return this.#client.prepare({ version: '1.1' }).call(ctx, 'getTunnelPeers', args);
  }
  getMetadataInstance(ctx: RpcContext, args: { networkId?: string; routerId?: string; ip: string }): Promise<MetadataInstance | null> {
    return this.#client.prepare({ version: '1.2' }).call(ctx, 'getMetadataInstance', args);
  }
}
