/** The NetworkBackend interface a neutron-agent wires its host through, and the plain data it receives. */

/** The L2 segment a network is realised on (ML2's segment: type, physical network, VLAN id or VNI). */
export interface SegmentSpec {
  readonly networkType: 'flat' | 'vlan' | 'vxlan';
  /** The physical network (provider label) for flat and vlan; null for vxlan. */
  readonly physicalNetwork: string | null;
  /** VLAN id or VXLAN VNI; null for flat. */
  readonly segmentationId: number | null;
}

/** A network as the host needs it. */
export interface NetworkSpec {
  readonly id: string;
  readonly segment: SegmentSpec;
  readonly mtu: number;
  readonly adminStateUp: boolean;
  /** True for `router:external` networks (floating IP and gateway side). */
  readonly external: boolean;
}

/** An IPv6 subnet's `ipv6_ra_mode` / `ipv6_address_mode` (null: not set). */
export type Ipv6Mode = 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';

/** One fixed IP of a port, with what the host needs of its subnet. */
export interface FixedIpSpec {
  readonly subnetId: string;
  readonly ipAddress: string;
  /** The subnet's CIDR, e.g. 10.0.0.0/24. */
  readonly cidr: string;
  readonly ipVersion: 4 | 6;
  readonly gatewayIp: string | null;
  /** IPv6 only: who sends router advertisements and how hosts get addresses (absent: not set). */
  readonly ipv6RaMode?: Ipv6Mode | null;
  readonly ipv6AddressMode?: Ipv6Mode | null;
}

/** An allowed address pair: traffic from this IP (or CIDR) and MAC passes port security. */
export interface AddressPairSpec {
  readonly ipAddress: string;
  readonly macAddress: string;
}

/** A security group rule in the form the firewall needs it. */
export interface SecurityGroupRuleSpec {
  readonly id: string;
  readonly securityGroupId: string;
  readonly direction: 'ingress' | 'egress';
  readonly ethertype: 'IPv4' | 'IPv6';
  /** Protocol name or number as the API has it; null means any. */
  readonly protocol: string | null;
  /** Port range for TCP/UDP/SCTP; ICMP type and code for ICMP. */
  readonly portRangeMin: number | null;
  readonly portRangeMax: number | null;
  readonly remoteIpPrefix: string | null;
  readonly remoteGroupId: string | null;
}

/** The firewall of one port: its rules and, for rules with a remote group, that group's member addresses. */
export interface PortSecuritySpec {
  /** False: no filtering at all (port_security_enabled=false). */
  readonly enabled: boolean;
  readonly securityGroupIds: readonly string[];
  readonly rules: readonly SecurityGroupRuleSpec[];
  /** IP addresses of the ports in each remote group the rules name. */
  readonly remoteGroupMembers: Readonly<Record<string, readonly string[]>>;
}

/** A port bound to this host (a VM NIC, a router or DHCP port). */
export interface PortSpec {
  readonly id: string;
  readonly network: NetworkSpec;
  readonly macAddress: string;
  readonly fixedIps: readonly FixedIpSpec[];
  readonly deviceOwner: string;
  readonly deviceId: string;
  readonly adminStateUp: boolean;
  readonly allowedAddressPairs: readonly AddressPairSpec[];
  readonly security: PortSecuritySpec;
  /** The VIF type the server bound the port with (e.g. `bridge`). */
  readonly vifType: string;
}

/** A subnet the DHCP server serves. */
export interface DhcpSubnetSpec {
  readonly id: string;
  readonly cidr: string;
  readonly ipVersion: 4 | 6;
  readonly gatewayIp: string | null;
  readonly enableDhcp: boolean;
  /** IPv6 only (absent: not set). */
  readonly ipv6RaMode?: Ipv6Mode | null;
  readonly ipv6AddressMode?: Ipv6Mode | null;
  readonly dnsNameservers: readonly string[];
  readonly hostRoutes: ReadonlyArray<{ readonly destination: string; readonly nexthop: string }>;
}

/** One DHCP reservation: a port's MAC and address. */
export interface DhcpHostSpec {
  readonly portId: string;
  readonly macAddress: string;
  readonly ipAddress: string;
  readonly subnetId: string;
  /** `host-<ip with dashes>` as neutron names them. */
  readonly hostname: string;
  readonly extraDhcpOpts: ReadonlyArray<{ readonly optName: string; readonly optValue: string; readonly ipVersion: 4 | 6 }>;
}

/** The DHCP service of one network on this host. */
export interface DhcpSpec {
  readonly network: NetworkSpec;
  /** The DHCP port the server listens on (network:dhcp), null until one exists. */
  readonly dhcpPort: { readonly id: string; readonly macAddress: string; readonly fixedIps: readonly FixedIpSpec[] } | null;
  readonly subnets: readonly DhcpSubnetSpec[];
  readonly hosts: readonly DhcpHostSpec[];
}

/** A router port (gateway or interface). */
export interface RouterPortSpec {
  readonly portId: string;
  readonly macAddress: string;
  readonly network: NetworkSpec;
  readonly fixedIps: readonly FixedIpSpec[];
}

/** A floating IP the router translates. */
export interface FloatingIpSpec {
  readonly id: string;
  readonly floatingIpAddress: string;
  readonly fixedIpAddress: string;
  readonly portId: string;
}

/** A router as the L3 side of the host builds it. */
export interface RouterSpec {
  readonly id: string;
  readonly adminStateUp: boolean;
  /** The external gateway, null when the router has none. */
  readonly gateway: (RouterPortSpec & { readonly enableSnat: boolean }) | null;
  readonly interfaces: readonly RouterPortSpec[];
  readonly routes: ReadonlyArray<{ readonly destination: string; readonly nexthop: string }>;
  readonly floatingIps: readonly FloatingIpSpec[];
}

/** What a router build reports back: each floating IP's state. */
export interface RouterResult {
  readonly floatingIpStatuses: Readonly<Record<string, 'ACTIVE' | 'ERROR'>>;
}

/** Everything that should exist on the host; `reconcile` removes anything else. */
export interface DesiredHostState {
  readonly ports: readonly PortSpec[];
  readonly dhcp: readonly DhcpSpec[];
  readonly routers: readonly RouterSpec[];
}

/** Another host's VXLAN tunnel endpoint: the `tunneling_ip` its L2 agent reports. */
export interface TunnelPeerSpec {
  readonly host: string;
  /** The peer's VTEP address (IPv4). */
  readonly ip: string;
}

/** What the backend can do; the agent reports these to the server in its heartbeats. */
export interface NetworkBackendCapabilities {
  readonly networkTypes: ReadonlyArray<SegmentSpec['networkType']>;
  readonly dhcp: boolean;
  readonly routers: boolean;
  readonly securityGroups: boolean;
}

/** Options every call takes. */
export interface BackendCallOptions {
  readonly signal?: AbortSignal;
}

/**
 * The host side of networking, called only by a neutron-agent with plain data (it never sees the
 * database). Every method is idempotent: applying the same spec twice leaves the host as applying
 * it once, so the agent can retry and resync freely. A failing method leaves nothing half-made
 * behind that a later call with the same spec would trip over.
 */
export interface NetworkBackend {
  /** Backend name as configured (`noop`, `linuxbridge`). */
  readonly name: string;
  /** The agent type the agent reports for its L2 part; the server's mechanism driver matches on it. */
  readonly agentType: string;
  readonly capabilities: NetworkBackendCapabilities;
  /** Backend-specific settings reported in heartbeats (e.g. bridge mappings); plain JSON. */
  configurations(): Readonly<Record<string, unknown>>;

  /** Make sure the network's L2 domain (bridge, VLAN/VXLAN device) exists on this host. */
  ensureNetwork(network: NetworkSpec, options?: BackendCallOptions): Promise<void>;
  /** Remove the network's L2 domain once no port of it is left on this host. */
  deleteNetwork(networkId: string, options?: BackendCallOptions): Promise<void>;

  /**
   * Wire a port: its network, its device (tap/veth) and its firewall. Postcondition on success:
   * traffic flows for the port as the spec says. Throws when it cannot; the agent then reports
   * the port down.
   */
  plugPort(port: PortSpec, options?: BackendCallOptions): Promise<void>;
  /** Undo `plugPort`; a port that is not plugged is not an error. */
  unplugPort(portId: string, options?: BackendCallOptions): Promise<void>;
  /** Replace a plugged port's firewall. */
  updatePortSecurity(portId: string, security: PortSecuritySpec, allowedAddressPairs: readonly AddressPairSpec[], options?: BackendCallOptions): Promise<void>;

  /** Start or refresh the DHCP service of a network. */
  configureDhcp(spec: DhcpSpec, options?: BackendCallOptions): Promise<void>;
  /** Stop the DHCP service of a network. */
  removeDhcp(networkId: string, options?: BackendCallOptions): Promise<void>;

  /** Build or refresh a router: ports, routes, SNAT and floating IPs. */
  ensureRouter(spec: RouterSpec, options?: BackendCallOptions): Promise<RouterResult>;
  /** Tear a router down. */
  deleteRouter(routerId: string, options?: BackendCallOptions): Promise<void>;

  /**
   * The tunnel endpoints of the other hosts, for head-end replication (neutron's l2population
   * without multicast): broadcast, unknown unicast and multicast frames of every VXLAN network go
   * to each of them. Replaces the previous list; applies to the VXLAN networks wired now and
   * later. Backends without tunnels leave it out.
   */
  setTunnelPeers?(peers: readonly TunnelPeerSpec[], options?: BackendCallOptions): Promise<void>;

  /** Apply the whole desired state and remove whatever is on the host but not in it (after a restart). */
  reconcile(state: DesiredHostState, options?: BackendCallOptions): Promise<void>;

  /** Release what the backend holds in the process (not the host's wiring). */
  close(): Promise<void>;
}
