/** The ML2 plugin's settings from the config, with neutron's defaults; no imports, so the config schema stays light. */

export interface PluginSettings {
  /** First three octets of generated MACs. */
  readonly baseMac: string;
  readonly globalPhysnetMtu: number;
  readonly typeDrivers: readonly string[];
  readonly tenantNetworkTypes: readonly string[];
  /** Physnets flat networks may use; ['*'] for any. */
  readonly flatNetworks: readonly string[];
  /** VLAN physnets and their tenant ranges. */
  readonly vlanRanges: ReadonlyArray<{ readonly physnet: string; readonly min: number | null; readonly max: number | null }>;
  readonly vniRanges: ReadonlyArray<{ readonly min: number; readonly max: number }>;
  readonly maxDnsNameservers: number;
  readonly maxHostRoutes: number;
  readonly agentDownTimeMs: number;
  readonly dhcpAgentsPerNetwork: number;
  /** Default limits by resource name (network, subnet, port, ...). */
  readonly quotaDefaults: Readonly<Record<string, number>>;
}

/** Parse `a:b,c:d` VNI ranges. */
export function parseRanges(text: string): Array<{ min: number; max: number }> {
  return text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => {
      const [a, b] = e.split(':').map(Number);
      return { min: Math.min(a ?? 0, b ?? 0), max: Math.max(a ?? 0, b ?? 0) };
    });
}

/** Parse `physnet[:min:max]` VLAN ranges. */
export function parseVlanRanges(text: string): Array<{ physnet: string; min: number | null; max: number | null }> {
  return text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => {
      const [physnet, a, b] = e.split(':');
      return { physnet: physnet ?? '', min: a === undefined ? null : Number(a), max: b === undefined ? null : Number(b) };
    });
}

/** Settings with neutron's defaults, for tests. */
export function defaultSettings(overrides: Partial<PluginSettings> = {}): PluginSettings {
  return {
    baseMac: 'fa:16:3e',
    globalPhysnetMtu: 1500,
    typeDrivers: ['flat', 'vlan', 'vxlan'],
    tenantNetworkTypes: ['vxlan'],
    flatNetworks: ['*'],
    vlanRanges: [{ physnet: 'physnet1', min: 1000, max: 2999 }],
    vniRanges: [{ min: 1, max: 65535 }],
    maxDnsNameservers: 5,
    maxHostRoutes: 20,
    agentDownTimeMs: 75_000,
    dhcpAgentsPerNetwork: 1,
    quotaDefaults: { network: 100, subnet: 100, port: 500, router: 10, floatingip: 50, security_group: 10, security_group_rule: 100, subnetpool: -1 },
    ...overrides,
  };
}
