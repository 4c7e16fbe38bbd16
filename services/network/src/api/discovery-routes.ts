/** Version discovery (`GET /`, `GET /v2.0`) and the extension list (`GET /v2.0/extensions[/{alias}]`). */
import type { FastifyInstance } from 'fastify';
import { requestBaseUrl } from '@strata/http';
import { missing } from '../errors.js';

const UPDATED = '2024-01-01T10:00:00-00:00';

/** Every extension this neutron implements: [alias, name, description]. */
export const EXTENSIONS: ReadonlyArray<readonly [string, string, string]> = [
  ['agent', 'agent', 'The agent management extension.'],
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'],
  ['availability_zone', 'Availability Zone', 'The availability zone extension.'],
  ['binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'],
  ['dhcp_agent_scheduler', 'DHCP Agent Scheduler', 'Schedule networks among dhcp agents'],
  ['dvr', 'Distributed Virtual Router', 'Enables configuration of Distributed Virtual Routers.'],
  ['empty-string-filtering', 'Empty String Filtering Extension', 'Allow filtering by attributes with empty string value'],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  ['ext-gw-mode', 'Neutron L3 Configurable external gateway mode', 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway'],
  ['extra_dhcp_opt', 'Neutron Extra DHCP options', 'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)'],
  ['extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'],
  ['ip-substring-filtering', 'IP address substring filtering', 'Provides IP address substring filtering when listing ports'],
  ['l2_adjacency', 'L2 Adjacency', 'Display L2 Adjacency for Neutron Networks.'],
  ['l3-ha', 'HA Router extension', 'Adds HA capability to routers.'],
  ['l3_agent_scheduler', 'L3 Agent Scheduler', 'Schedule routers among l3 agents'],
  ['metering', 'Neutron Metering', 'Neutron Metering extension.'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute for a network resource.'],
  ['network-ip-availability', 'Network IP Availability', 'Provides IP availability data for each network and subnet.'],
  ['network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.'],
  ['pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'],
  ['port-security', 'Port Security', 'Provides port security'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'],
  ['quotas', 'Quota management support', 'Expose functions for quotas management per project'],
  ['quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'],
  ['router', 'Neutron L3 Router', 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.'],
  ['router_availability_zone', 'Router Availability Zone', 'Availability zone support for router.'],
  ['security-group', 'security-group', 'The security groups extension.'],
  ['service-type', 'Neutron Service Type Management', 'API for retrieving service providers for Neutron advanced services'],
  ['sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  ['standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.'],
  ['standard-attr-tag', 'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip', 'Enables to set tag on resources with standard attribute.'],
  ['standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.'],
  ['subnet_allocation', 'Subnet Allocation', 'Enables allocation of subnets from a subnet pool'],
];

const RESOURCES: ReadonlyArray<readonly [string, string]> = [
  ['network', 'networks'],
  ['subnet', 'subnets'],
  ['port', 'ports'],
  ['subnetpool', 'subnetpools'],
  ['router', 'routers'],
  ['floatingip', 'floatingips'],
  ['security_group', 'security-groups'],
  ['security_group_rule', 'security-group-rules'],
  ['quota', 'quotas'],
  ['agent', 'agents'],
  ['availability_zone', 'availability_zones'],
  ['network_ip_availability', 'network-ip-availabilities'],
  ['metering_label', 'metering/metering-labels'],
  ['metering_label_rule', 'metering/metering-label-rules'],
  ['service_provider', 'service-providers'],
];

function extensionView([alias, name, description]: readonly [string, string, string]): Record<string, unknown> {
  return { alias, name, description, updated: UPDATED, links: [] };
}

/** Paths that need no token. */
export function isPublicPath(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  return path === '/' || path === '' || path === '/v2.0' || path === '/v2.0/' || path.startsWith('/v2.0/extensions');
}

/** Register discovery and extension routes (no token needed). */
export function registerDiscoveryRoutes(app: FastifyInstance): void {
  app.get('/', async (request) => ({ versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${requestBaseUrl(request)}/v2.0/`, rel: 'self' }] }] }));
  app.get('/v2.0', async (request) => ({
    resources: RESOURCES.map(([name, collection]) => ({ name, collection, links: [{ href: `${requestBaseUrl(request)}/v2.0/${collection}`, rel: 'self' }] })),
  }));
  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS.map(extensionView) }));
  app.get('/v2.0/extensions/:alias', async (request) => {
    const alias = (request.params as { alias: string }).alias;
    const e = EXTENSIONS.find((x) => x[0] === alias);
    if (e === undefined) throw missing('ExtensionNotFound', `Extension with alias ${alias} does not exist`);
    return { extension: extensionView(e) };
  });
}
