/** JSON view of a port; binding:* details only for admins. */
import type { Port } from '../objects/port.js';
import { standardView } from './view-helpers.js';

/** A port. */
export function portView(p: Port, admin: boolean): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    network_id: p.networkId,
    tenant_id: p.projectId,
    project_id: p.projectId,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp,
    status: p.status,
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    allowed_address_pairs: p.allowedAddressPairs.map((a) => ({ ip_address: a.ipAddress, mac_address: a.macAddress })),
    extra_dhcp_opts: p.extraDhcpOpts.map((o) => ({ opt_name: o.optName, opt_value: o.optValue, ip_version: o.ipVersion })),
    security_groups: [...p.securityGroups],
    port_security_enabled: p.portSecurityEnabled,
    'binding:vnic_type': p.bindingVnicType,
    ...(admin
      ? {
          'binding:host_id': p.bindingHostId,
          'binding:profile': { ...p.bindingProfile },
          'binding:vif_type': p.bindingVifType,
          'binding:vif_details': { ...p.bindingVifDetails },
        }
      : {}),
    ...standardView(p),
  };
}
