/** Kysely table types of the network database; imported only by objects/ and migrations. */

/** A boolean column: written as boolean, read back as 0/1 on SQLite and MariaDB. */
export type BoolColumn = boolean | number;

/** Columns every standard-attribute resource has (neutron's standardattributes). */
interface StandardAttrs {
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface NetworkTable extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  status: string;
  admin_state_up: BoolColumn;
  shared: BoolColumn;
  external: BoolColumn;
  mtu: number;
  port_security_enabled: BoolColumn;
  /** JSON list of AZ names. */
  availability_zone_hints: string;
}

/** ML2 segments; `alloc_key` is unique, so a VLAN id, a VNI or a flat physnet belongs to one network. */
export interface NetworkSegmentTable {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  alloc_key: string;
  segment_index: number;
}

export interface SubnetTable extends StandardAttrs {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: BoolColumn;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  subnetpool_id: string | null;
  /** JSON lists. */
  dns_nameservers: string;
  host_routes: string;
  allocation_pools: string;
}

export interface PortTable extends StandardAttrs {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  mac_address: string;
  admin_state_up: BoolColumn;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: BoolColumn;
  binding_host_id: string;
  binding_vif_type: string;
  /** JSON objects. */
  binding_vif_details: string;
  binding_vnic_type: string;
  binding_profile: string;
  /** JSON lists. */
  allowed_address_pairs: string;
  extra_dhcp_opts: string;
}

/** One address held by one port; the primary key makes an address unique within its subnet. */
export interface IpAllocationTable {
  subnet_id: string;
  ip_address: string;
  /** The address as fixed-width hex (8 digits for IPv4, 32 for IPv6), so text order is numeric order. */
  ip_sort: string;
  network_id: string;
  port_id: string;
}

export interface PortSecurityGroupTable {
  port_id: string;
  security_group_id: string;
}

export interface RouterTable extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  status: string;
  admin_state_up: BoolColumn;
  gw_port_id: string | null;
  enable_snat: BoolColumn;
  /** JSON list of {destination, nexthop}. */
  routes: string;
  distributed: BoolColumn;
  ha: BoolColumn;
  availability_zone_hints: string;
  /** The L3 agent host the router is scheduled to. */
  host: string | null;
}

export interface FloatingIpTable extends StandardAttrs {
  id: string;
  project_id: string;
  floating_network_id: string;
  floating_ip_address: string;
  floating_port_id: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
}

export interface SecurityGroupTable extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
}

/** One row per project: its `default` group (the primary key stops two being made concurrently). */
export interface DefaultSecurityGroupTable {
  project_id: string;
  security_group_id: string;
}

export interface SecurityGroupRuleTable extends StandardAttrs {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

export interface QuotaTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

/** Rows locked (SELECT ... FOR UPDATE) to serialize quota checks of one project and resource. */
export interface QuotaLockTable {
  project_id: string;
  resource: string;
}

export interface AgentTable {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  availability_zone: string;
  admin_state_up: BoolColumn;
  description: string;
  /** JSON object. */
  configurations: string;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
}

export interface NetworkDhcpAgentTable {
  network_id: string;
  agent_id: string;
}

export interface SubnetPoolTable extends StandardAttrs {
  id: string;
  project_id: string;
  name: string;
  ip_version: number;
  /** JSON list of CIDRs. */
  prefixes: string;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: BoolColumn;
  is_default: BoolColumn;
  default_quota: number | null;
  address_scope_id: string | null;
}

export interface MeteringLabelTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  shared: BoolColumn;
  created_at: string;
}

export interface MeteringLabelRuleTable {
  id: string;
  project_id: string;
  metering_label_id: string;
  direction: string;
  remote_ip_prefix: string | null;
  source_ip_prefix: string | null;
  destination_ip_prefix: string | null;
  excluded: BoolColumn;
  created_at: string;
}

export interface TagTable {
  resource_type: string;
  resource_id: string;
  tag: string;
}

/** The network schema. */
export interface NetworkDatabase {
  networks: NetworkTable;
  network_segments: NetworkSegmentTable;
  subnets: SubnetTable;
  ports: PortTable;
  ip_allocations: IpAllocationTable;
  port_security_groups: PortSecurityGroupTable;
  routers: RouterTable;
  floating_ips: FloatingIpTable;
  security_groups: SecurityGroupTable;
  default_security_groups: DefaultSecurityGroupTable;
  security_group_rules: SecurityGroupRuleTable;
  quotas: QuotaTable;
  quota_locks: QuotaLockTable;
  agents: AgentTable;
  network_dhcp_agents: NetworkDhcpAgentTable;
  subnet_pools: SubnetPoolTable;
  metering_labels: MeteringLabelTable;
  metering_label_rules: MeteringLabelRuleTable;
  tags: TagTable;
}
