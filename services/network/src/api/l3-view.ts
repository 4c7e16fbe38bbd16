/** JSON views of routers and floating IPs. */
import type { FloatingIp, Router } from '../objects/router.js';
import type { Port } from '../objects/port.js';
import { standardView } from './view-helpers.js';

/** A router; `distributed` and `ha` only for admins. */
export function routerView(r: Router, gw: Port | undefined, admin: boolean): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    tenant_id: r.projectId,
    project_id: r.projectId,
    admin_state_up: r.adminStateUp,
    status: r.status,
    external_gateway_info:
      gw === undefined
        ? null
        : { network_id: gw.networkId, enable_snat: r.enableSnat, external_fixed_ips: gw.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })) },
    routes: r.routes.map((x) => ({ destination: x.destination, nexthop: x.nexthop })),
    availability_zone_hints: [...r.availabilityZoneHints],
    availability_zones: r.host === null ? [] : ['nova'],
    ...(admin ? { distributed: r.distributed, ha: r.ha } : {}),
    ...standardView(r),
  };
}

/** A floating IP. */
export function floatingIpView(f: FloatingIp): Record<string, unknown> {
  return {
    id: f.id,
    tenant_id: f.projectId,
    project_id: f.projectId,
    floating_network_id: f.floatingNetworkId,
    floating_ip_address: f.floatingIpAddress,
    router_id: f.routerId,
    port_id: f.fixedPortId,
    fixed_ip_address: f.fixedIpAddress,
    status: f.status,
    ...standardView(f),
  };
}
