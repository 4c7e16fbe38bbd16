/** nova's policy rules (os_compute_api:*) as data, with the legacy defaults: admin, or the owning project. */
import { rules, type Policy } from '@strata/auth';

const owner = rules.adminOrOwner;
const admin = rules.admin;
const any = rules.any;

/** Every rule the compute API checks. */
export const computePolicy: Policy = {
  'os_compute_api:servers:create': any,
  'os_compute_api:servers:index': any,
  'os_compute_api:servers:detail': any,
  'os_compute_api:servers:index:get_all_tenants': admin,
  'os_compute_api:servers:show': owner,
  'os_compute_api:servers:show:host_status': admin,
  'os_compute_api:servers:update': owner,
  'os_compute_api:servers:delete': owner,
  'os_compute_api:servers:action': owner,
  'os_compute_api:servers:create:forced_host': admin,
  'os_compute_api:os-extended-server-attributes': admin,
  'os_compute_api:os-lock-server:unlock:unlock_override': admin,
  'os_compute_api:flavors': any,
  'os_compute_api:os-flavor-manage:create': admin,
  'os_compute_api:os-flavor-manage:update': admin,
  'os_compute_api:os-flavor-manage:delete': admin,
  'os_compute_api:os-flavor-extra-specs:index': any,
  'os_compute_api:os-flavor-extra-specs:manage': admin,
  'os_compute_api:os-flavor-access': admin,
  'os_compute_api:os-keypairs': rules.adminOrUser,
  'os_compute_api:limits': any,
  'os_compute_api:os-quota-sets:show': owner,
  'os_compute_api:os-quota-sets:defaults': any,
  'os_compute_api:os-quota-sets:update': admin,
  'os_compute_api:os-quota-sets:delete': admin,
  'os_compute_api:os-availability-zone:list': any,
  'os_compute_api:os-availability-zone:detail': admin,
  'os_compute_api:os-services': admin,
  'os_compute_api:os-hypervisors': admin,
  'os_compute_api:os-instance-actions': owner,
  'os_compute_api:os-instance-actions:events': admin,
  'os_compute_api:os-server-external-events:create': admin,
  'os_compute_api:os-server-groups': any,
  'os_compute_api:os-volumes-attachments': owner,
  'os_compute_api:os-attach-interfaces': owner,
  'os_compute_api:server-metadata': owner,
  'os_compute_api:os-server-tags': owner,
  'os_compute_api:os-console-output': owner,
  'os_compute_api:os-remote-consoles': owner,
  'os_compute_api:os-simple-tenant-usage': any,
  'os_compute_api:os-migrate-server': admin,
  'os_compute_api:strata:trace': owner,
};
