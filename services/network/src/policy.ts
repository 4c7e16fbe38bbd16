/** Neutron's default policy as data: project readers read, members write, admins do everything and set admin-only attributes. */
import { rules, type Policy, type PolicyCheck, type PolicyTarget } from '@strata/auth';

/** A policy target: the resource owner, and for ports the owner of their network. */
export interface NeutronTarget extends PolicyTarget {
  readonly networkProjectId?: string | null;
}

const admin = rules.admin;
const reader = rules.adminOrReader;
const member = rules.adminOrMember;
/** Admin, or a member of the project owning the target or its network (neutron's admin_or_network_owner). */
const memberOrNetworkOwner: PolicyCheck = (ctx, t) => member(ctx, t) || (ctx.roles.includes('member') && (t as NeutronTarget).networkProjectId === ctx.projectId);

const crud = (resource: string, read: PolicyCheck = reader, write: PolicyCheck = member): Record<string, PolicyCheck> => ({
  [`create_${resource}`]: write,
  [`get_${resource}`]: read,
  [`update_${resource}`]: write,
  [`delete_${resource}`]: write,
});

/** Every rule the network API checks. */
export const neutronPolicy: Policy = {
  ...crud('network'),
  'create_network:shared': admin,
  'create_network:router:external': admin,
  'create_network:provider': admin,
  'create_network:is_default': admin,
  'update_network:shared': admin,
  'update_network:router:external': admin,
  'update_network:provider': admin,
  'get_network:provider': admin,
  ...crud('subnet'),
  'create_subnet:on_foreign_network': admin,
  ...crud('port'),
  'create_port:on_foreign_network': admin,
  'create_port:device_owner': memberOrNetworkOwner,
  'create_port:mac_address': memberOrNetworkOwner,
  'create_port:fixed_ips:ip_address': memberOrNetworkOwner,
  'create_port:binding': admin,
  'update_port:binding': admin,
  'update_port:mac_address': admin,
  'get_port:binding': admin,
  ...crud('router'),
  'create_router:external_gateway_info:enable_snat': admin,
  'create_router:external_gateway_info:external_fixed_ips': admin,
  'create_router:distributed': admin,
  'create_router:ha': admin,
  'update_router:external_gateway_info:enable_snat': admin,
  'update_router:external_gateway_info:external_fixed_ips': admin,
  'update_router:distributed': admin,
  'update_router:ha': admin,
  'get_router:distributed': admin,
  'get_router:ha': admin,
  add_router_interface: member,
  remove_router_interface: member,
  ...crud('floatingip'),
  'create_floatingip:floating_ip_address': admin,
  ...crud('security_group'),
  ...crud('security_group_rule'),
  ...crud('subnetpool'),
  'create_subnetpool:shared': admin,
  'create_subnetpool:is_default': admin,
  'update_subnetpool:is_default': admin,
  ...crud('metering_label', admin, admin),
  ...crud('metering_label_rule', admin, admin),
  ...crud('agent', admin, admin),
  get_agents: reader,
  create_dhcp_network: admin,
  get_dhcp_networks: admin,
  delete_dhcp_network: admin,
  get_dhcp_agents: admin,
  create_l3_router: admin,
  get_l3_routers: admin,
  delete_l3_router: admin,
  get_l3_agents: admin,
  get_quota: reader,
  'get_quota:other': admin,
  update_quota: admin,
  delete_quota: admin,
  get_network_ip_availability: admin,
  get_availability_zone: reader,
  get_service_provider: reader,
  get_tags: reader,
  update_tags: member,
};
