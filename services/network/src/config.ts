/** The config groups of neutron: [network] (API, agent, quotas), [ml2] and its type driver groups. */
import { hostname } from 'node:os';
import { boolOpt, durationOpt, enumOpt, intOpt, portOpt, stringOpt } from '@strata/config';
import { parseRanges, parseVlanRanges, type PluginSettings } from './plugin-settings.js';

const RANGE_LIST = /^\s*$|^\s*\d+:\d+\s*(,\s*\d+:\d+\s*)*$/;
const quota = (def: number, what: string) => intOpt(def, `Default number of ${what} a project may have; -1 means unlimited.`, -1, 1_000_000_000);

/** Options of neutron-server and neutron-agent. */
export const networkSchema = {
  network: {
    port: portOpt(9696, 'Port of the Network v2.0 API.'),
    host: stringOpt('', 'Name of this host for its neutron-agent (the agent listens on neutron-agent.<host>); empty means the machine host name. Possible values: letters, digits and . _ - only.', (v) =>
      /^[A-Za-z0-9_.-]*$/.test(v) ? undefined : 'expected letters, digits and . _ - only',
    ),
    backend: enumOpt('noop', ['noop', 'linuxbridge'], 'Network backend of the agent on this host: noop records ports and changes nothing; linuxbridge wires Linux bridges.'),
    physical_interface_mappings: stringOpt('public:', 'linuxbridge backend: physical networks and the host interface each is bridged to; an empty interface gives a bridge without uplink (one host). Possible values: a comma-separated list of <physnet>:<interface>.', (v) =>
      v.split(',').every((e) => e.trim() === '' || /^[^:\s]+:[A-Za-z0-9_.-]{0,15}$/.test(e.trim())) ? undefined : 'expected <physnet>:<interface> entries (interface names at most 15 characters)',
    ),
    vxlan_local_ip: stringOpt('', "linuxbridge backend: local IPv4 address (VTEP) of VXLAN devices, reported as the agent's tunneling_ip; the agents of other hosts flood VXLAN traffic to it and this host to theirs. Empty means VXLAN networks are bridges local to this host.", (v) =>
      v === '' || /^\d{1,3}(\.\d{1,3}){3}$/.test(v) ? undefined : 'expected an IPv4 address',
    ),
    run_agent: boolOpt(true, 'Whether the all-in-one starts a neutron-agent for this host.'),
    agent_report_interval: durationOpt(30_000, 'How often an agent reports its state (heartbeat).', 1000, 3_600_000),
    agent_down_time: durationOpt(75_000, 'An agent not heard from for this long is shown dead; at least twice the report interval.', 2000, 86_400_000),
    rpc_timeout: durationOpt(60_000, 'Timeout of agent-to-server RPC calls.', 1000, 600_000),
    nova_notify_timeout: durationOpt(5000, 'Timeout of a port event sent to nova (network-vif-plugged).', 100, 60_000),
    service_password: stringOpt('', "Password of neutron's service user `neutron` (project `service`, roles admin and service), which neutron authenticates as for its calls to other services (port events sent to nova). Possible values: any string; empty means a generated one, kept in <data-dir>/service-credentials.json. A set value wins: bootstrap resets the user's password to it."),
    base_mac: stringOpt('fa:16:3e:00:00:00', 'Prefix of generated MAC addresses: the first three octets are kept. Possible values: a MAC address.', (v) =>
      /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v) ? undefined : 'expected a MAC address such as fa:16:3e:00:00:00',
    ),
    global_physnet_mtu: intOpt(1500, 'MTU of the physical networks; tenant VXLAN networks get this minus 50.', 68, 65535),
    dhcp_agents_per_network: intOpt(1, 'DHCP agents that serve each network with a DHCP-enabled subnet.', 0, 16),
    max_dns_nameservers: intOpt(5, 'DNS name servers a subnet may list.', 0, 100),
    max_subnet_host_routes: intOpt(20, 'Host routes a subnet may list.', 0, 1000),
    quota_network: quota(100, 'networks'),
    quota_subnet: quota(100, 'subnets'),
    quota_port: quota(500, 'ports'),
    quota_router: quota(10, 'routers'),
    quota_floatingip: quota(50, 'floating IPs'),
    quota_security_group: quota(10, 'security groups'),
    quota_security_group_rule: quota(100, 'security group rules'),
    quota_subnetpool: quota(-1, 'subnet pools'),
  },
  ml2: {
    type_drivers: stringOpt('flat,vlan,vxlan', 'Network types that may be created. Possible values: a comma-separated subset of flat, vlan, vxlan.', (v) =>
      v.split(',').every((t) => ['flat', 'vlan', 'vxlan'].includes(t.trim())) ? undefined : 'expected a comma-separated subset of flat, vlan, vxlan',
    ),
    tenant_network_types: stringOpt('vxlan', 'Network types given to project networks, in order of preference. Possible values: a comma-separated subset of vlan, vxlan.', (v) =>
      v.split(',').every((t) => ['vlan', 'vxlan'].includes(t.trim())) ? undefined : 'expected a comma-separated subset of vlan, vxlan',
    ),
  },
  ml2_type_flat: {
    flat_networks: stringOpt('*', 'Physical networks flat networks may be created on; * means any. Possible values: a comma-separated list of names, or *.'),
  },
  ml2_type_vlan: {
    network_vlan_ranges: stringOpt('physnet1:1000:2999', 'Physical networks VLANs may be used on, with the VLAN id range given to project networks. Possible values: a comma-separated list of <physnet> or <physnet>:<min>:<max>.', (v) =>
      v === '' || v.split(',').every((e) => /^[^:]+(:\d+:\d+)?$/.test(e.trim())) ? undefined : 'expected <physnet> or <physnet>:<min>:<max> entries',
    ),
  },
  ml2_type_vxlan: {
    vni_ranges: stringOpt('1:65535', 'VXLAN VNI ranges given to project networks. Possible values: a comma-separated list of <min>:<max>.', (v) => (RANGE_LIST.test(v) ? undefined : 'expected <min>:<max> entries')),
  },
} as const;

/** The agent host name: the configured one, or this machine's host name. */
export function agentHost(configured: string): string {
  const h = configured !== '' ? configured : hostname();
  return h.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/** The [network]/[ml2*] groups of a compiled config (any config whose schema includes networkSchema). */
export interface NetworkConfigGroups {
  readonly network: { readonly base_mac: string; readonly global_physnet_mtu: number; readonly agent_down_time: number; readonly dhcp_agents_per_network: number; readonly max_dns_nameservers: number; readonly max_subnet_host_routes: number } & Readonly<Record<`quota_${string}`, number>>;
  readonly ml2: { readonly type_drivers: string; readonly tenant_network_types: string };
  readonly ml2_type_flat: { readonly flat_networks: string };
  readonly ml2_type_vlan: { readonly network_vlan_ranges: string };
  readonly ml2_type_vxlan: { readonly vni_ranges: string };
}

/** Plugin settings from the config groups. */
export function settingsFromConfig(c: NetworkConfigGroups): PluginSettings {
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const quotaDefaults: Record<string, number> = {};
  for (const r of ['network', 'subnet', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule', 'subnetpool']) quotaDefaults[r] = c.network[`quota_${r}`] ?? -1;
  return {
    baseMac: c.network.base_mac,
    globalPhysnetMtu: c.network.global_physnet_mtu,
    typeDrivers: list(c.ml2.type_drivers),
    tenantNetworkTypes: list(c.ml2.tenant_network_types),
    flatNetworks: list(c.ml2_type_flat.flat_networks),
    vlanRanges: parseVlanRanges(c.ml2_type_vlan.network_vlan_ranges),
    vniRanges: parseRanges(c.ml2_type_vxlan.vni_ranges),
    maxDnsNameservers: c.network.max_dns_nameservers,
    maxHostRoutes: c.network.max_subnet_host_routes,
    agentDownTimeMs: c.network.agent_down_time,
    dhcpAgentsPerNetwork: c.network.dhcp_agents_per_network,
    quotaDefaults,
  };
}
