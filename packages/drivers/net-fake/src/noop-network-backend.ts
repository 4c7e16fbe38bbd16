/** NoopNetworkBackend: records what the agent asks for and changes nothing on the host. */
import type { AddressPairSpec, BackendCallOptions, DesiredHostState, DhcpSpec, NetworkBackend, NetworkBackendCapabilities, NetworkSpec, PortSecuritySpec, PortSpec, RouterResult, RouterSpec, TunnelPeerSpec } from '@strata/net';

/** One recorded call, for tests that check what the agent did. */
export interface NoopBackendCall {
  readonly method: string;
  readonly id: string;
}

/** Options of the noop backend. */
export interface NoopNetworkBackendOptions {
  /** Port ids whose plugPort should fail (tests of the failure path). */
  readonly failPorts?: ReadonlySet<string>;
  /** Delay every call by this many ms (tests of slow hosts). @default 0 */
  readonly delayMs?: number;
  /** A VTEP address to report as `tunneling_ip` (tests of tunnel peers); '' = none. @default '' */
  readonly tunnelingIp?: string;
}

function aborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/**
 * The `noop` backend: every call succeeds (unless told otherwise) and is remembered; nothing on
 * the host changes. Ports it plugged are reported ACTIVE by the agent, floating IPs ACTIVE.
 */
export class NoopNetworkBackend implements NetworkBackend {
  readonly name = 'noop';
  readonly agentType = 'Noop agent';
  readonly capabilities: NetworkBackendCapabilities = Object.freeze({ networkTypes: ['flat', 'vlan', 'vxlan'] as const, dhcp: true, routers: true, securityGroups: true });
  /** Networks whose L2 domain exists, by id. */
  readonly networks = new Map<string, NetworkSpec>();
  /** Plugged ports, by id. */
  readonly ports = new Map<string, PortSpec>();
  /** Served DHCP networks, by network id. */
  readonly dhcp = new Map<string, DhcpSpec>();
  /** Built routers, by id. */
  readonly routers = new Map<string, RouterSpec>();
  /** Every call in order. */
  readonly calls: NoopBackendCall[] = [];
  /** The tunnel peers last set (empty until the agent sets them). */
  tunnelPeers: readonly TunnelPeerSpec[] = [];
  readonly #failPorts: ReadonlySet<string>;
  readonly #delayMs: number;
  readonly #tunnelingIp: string;

  constructor(options: NoopNetworkBackendOptions = {}) {
    this.#failPorts = options.failPorts ?? new Set();
    this.#delayMs = options.delayMs ?? 0;
    this.#tunnelingIp = options.tunnelingIp ?? '';
  }

  /** Build one (the shape every backend has). */
  static async create(options: NoopNetworkBackendOptions = {}): Promise<NoopNetworkBackend> {
    return new NoopNetworkBackend(options);
  }

  configurations(): Readonly<Record<string, unknown>> {
    const tunnel = this.#tunnelingIp !== '' ? { tunnel_types: ['vxlan'], tunneling_ip: this.#tunnelingIp } : {};
    return { backend: 'noop', devices: this.ports.size, networks: this.networks.size, routers: this.routers.size, ...tunnel };
  }

  async #enter(method: string, id: string, options: BackendCallOptions | undefined): Promise<void> {
    aborted(options?.signal);
    if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
    aborted(options?.signal);
    this.calls.push({ method, id });
  }

  async ensureNetwork(network: NetworkSpec, options?: BackendCallOptions): Promise<void> {
    await this.#enter('ensureNetwork', network.id, options);
    this.networks.set(network.id, network);
  }

  async deleteNetwork(networkId: string, options?: BackendCallOptions): Promise<void> {
    await this.#enter('deleteNetwork', networkId, options);
    this.networks.delete(networkId);
  }

  async plugPort(port: PortSpec, options?: BackendCallOptions): Promise<void> {
    await this.#enter('plugPort', port.id, options);
    if (this.#failPorts.has(port.id)) throw new Error(`noop backend told to fail port ${port.id}`);
    this.networks.set(port.network.id, port.network);
    this.ports.set(port.id, port);
  }

  async unplugPort(portId: string, options?: BackendCallOptions): Promise<void> {
    await this.#enter('unplugPort', portId, options);
    this.ports.delete(portId);
  }

  async updatePortSecurity(portId: string, security: PortSecuritySpec, allowedAddressPairs: readonly AddressPairSpec[], options?: BackendCallOptions): Promise<void> {
    await this.#enter('updatePortSecurity', portId, options);
    const port = this.ports.get(portId);
    if (port !== undefined) this.ports.set(portId, { ...port, security, allowedAddressPairs });
  }

  async configureDhcp(spec: DhcpSpec, options?: BackendCallOptions): Promise<void> {
    await this.#enter('configureDhcp', spec.network.id, options);
    this.dhcp.set(spec.network.id, spec);
  }

  async removeDhcp(networkId: string, options?: BackendCallOptions): Promise<void> {
    await this.#enter('removeDhcp', networkId, options);
    this.dhcp.delete(networkId);
  }

  async ensureRouter(spec: RouterSpec, options?: BackendCallOptions): Promise<RouterResult> {
    await this.#enter('ensureRouter', spec.id, options);
    this.routers.set(spec.id, spec);
    const statuses: Record<string, 'ACTIVE' | 'ERROR'> = {};
    for (const f of spec.floatingIps) statuses[f.id] = 'ACTIVE';
    return { floatingIpStatuses: statuses };
  }

  async deleteRouter(routerId: string, options?: BackendCallOptions): Promise<void> {
    await this.#enter('deleteRouter', routerId, options);
    this.routers.delete(routerId);
  }

  async setTunnelPeers(peers: readonly TunnelPeerSpec[], options?: BackendCallOptions): Promise<void> {
    await this.#enter('setTunnelPeers', '*', options);
    this.tunnelPeers = peers.map((p) => ({ ...p }));
  }

  async reconcile(state: DesiredHostState, options?: BackendCallOptions): Promise<void> {
    await this.#enter('reconcile', '*', options);
    this.ports.clear();
    this.dhcp.clear();
    this.routers.clear();
    this.networks.clear();
    for (const p of state.ports) {
      if (this.#failPorts.has(p.id)) continue;
      this.ports.set(p.id, p);
      this.networks.set(p.network.id, p.network);
    }
    for (const d of state.dhcp) {
      this.dhcp.set(d.network.id, d);
      this.networks.set(d.network.id, d.network);
    }
    for (const r of state.routers) this.routers.set(r.id, r);
  }

  async close(): Promise<void> {}
}
