/** @module @strata/net-linuxbridge — the `linuxbridge` network backend: bridges, taps, dnsmasq, router namespaces and nftables. */
export { LinuxBridgeNetworkBackend, firewallTableName, hostProblem, parseInterfaceMappings, REQUIRED_TOOLS } from './linuxbridge-backend.js';
export type { LinuxBridgeOptions } from './linuxbridge-backend.js';
export { firewallDiffScript, firewallModel, firewallScript, ruleMatch, protocolNumber } from './firewall.js';
export type { FirewallModel, FirewallPort, PortRules } from './firewall.js';
export { dnsmasqConfig } from './dhcp.js';
export { routerNatScript } from './router.js';
export { names, hostSideMac, checkIfname } from './names.js';
