/** The server JSON nova answers with, per microversion: index, detail/show, create and fault. */
import { createHash } from 'node:crypto';
import type { Instance, InstanceFault } from '../objects/instance.js';
import type { VolumeAttachment } from '../objects/volume-attachment.js';
import type { ApiVersion } from './microversion.js';
import { isoMicro, isoZ, resourceLinks } from './view-helpers.js';

/** What `status` a vm_state / task_state pair shows as (nova/api/openstack/common.py _STATE_MAP). */
export function serverStatus(vmState: string, taskState: string | null): string {
  switch (vmState) {
    case 'active':
      switch (taskState) {
        case 'rebooting':
        case 'reboot_pending':
        case 'reboot_started':
          return 'REBOOT';
        case 'rebooting_hard':
        case 'reboot_pending_hard':
        case 'reboot_started_hard':
          return 'HARD_REBOOT';
        case 'rebuilding':
        case 'rebuild_block_device_mapping':
        case 'rebuild_spawning':
          return 'REBUILD';
        case 'migrating':
          return 'MIGRATING';
        case 'resize_prep':
        case 'resize_migrating':
        case 'resize_migrated':
        case 'resize_finish':
          return 'RESIZE';
        case 'updating_password':
          return 'PASSWORD';
        default:
          return 'ACTIVE';
      }
    case 'building':
      return 'BUILD';
    case 'stopped':
      if (taskState === 'resize_prep' || taskState === 'resize_migrating' || taskState === 'resize_migrated' || taskState === 'resize_finish') return 'RESIZE';
      if (taskState === 'rebuilding' || taskState === 'rebuild_spawning') return 'REBUILD';
      return 'SHUTOFF';
    case 'resized':
      return taskState === 'resize_reverting' ? 'REVERT_RESIZE' : 'VERIFY_RESIZE';
    case 'paused':
      return 'PAUSED';
    case 'suspended':
      return 'SUSPENDED';
    case 'rescued':
      return 'RESCUE';
    case 'error':
      return taskState === 'rebuilding' ? 'REBUILD' : 'ERROR';
    case 'deleted':
      return 'DELETED';
    case 'soft-delete':
      return 'SOFT_DELETED';
    case 'shelved':
      return 'SHELVED';
    case 'shelved_offloaded':
      return 'SHELVED_OFFLOADED';
    default:
      return 'UNKNOWN';
  }
}

/** The vm_states a `status` filter value selects (empty for an unknown status). */
export function vmStatesForStatus(status: string): string[] {
  const map: Record<string, string[]> = {
    ACTIVE: ['active'],
    BUILD: ['building'],
    SHUTOFF: ['stopped'],
    ERROR: ['error'],
    PAUSED: ['paused'],
    SUSPENDED: ['suspended'],
    RESCUE: ['rescued'],
    VERIFY_RESIZE: ['resized'],
    DELETED: ['deleted'],
    SOFT_DELETED: ['soft-delete'],
    SHELVED: ['shelved'],
    SHELVED_OFFLOADED: ['shelved_offloaded'],
    REBOOT: ['active'],
    HARD_REBOOT: ['active'],
    REBUILD: ['active', 'stopped', 'error'],
    RESIZE: ['active', 'stopped'],
    MIGRATING: ['active'],
    REVERT_RESIZE: ['resized'],
  };
  return map[status.toUpperCase()] ?? [];
}

const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);

/** Everything a view needs beyond the instance. */
export interface ServerViewContext {
  readonly base: string;
  readonly version: ApiVersion;
  readonly isAdmin: boolean;
  /** host_status by host (2.16), for admins. */
  readonly hostStatus?: ReadonlyMap<string, string>;
  readonly attachments?: readonly VolumeAttachment[];
}

/** `hostId`: sha224(project_id + host), '' without a host. */
export function hostId(projectId: string, host: string | null): string {
  if (host === null || host === '') return '';
  return createHash('sha224').update(projectId + host).digest('hex');
}

/** `addresses`, keyed by network name. */
export function addressesView(i: Instance): Record<string, Array<Record<string, unknown>>> {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const n of i.networkInfo) {
    const list = (out[n.networkName] ??= []);
    for (const ip of n.ips) list.push({ version: ip.version, addr: ip.address, 'OS-EXT-IPS:type': ip.type, 'OS-EXT-IPS-MAC:mac_addr': n.macAddress });
  }
  return out;
}

/** The flavor entry of a server: a link before 2.47, the embedded flavor from 2.47. */
function flavorView(i: Instance, c: ServerViewContext): Record<string, unknown> {
  if (!c.version.atLeast('2.47')) return { id: i.flavor.id, links: [{ rel: 'bookmark', href: `${c.base}/flavors/${i.flavor.id}` }] };
  return { vcpus: i.flavor.vcpus, ram: i.flavor.memoryMb, disk: i.flavor.rootGb, ephemeral: i.flavor.ephemeralGb, swap: i.flavor.swap, original_name: i.flavor.name, extra_specs: { ...i.flavor.extraSpecs } };
}

/**
 * A server's fault as nova shows it: `details` (the traceback or cause) only when there are any,
 * and to non-admins only for faults that are not 500s (an internal error's details are the operator's).
 */
function faultView(f: InstanceFault, isAdmin: boolean): Record<string, unknown> {
  return { code: f.code, created: isoZ(f.created), message: f.message, ...(f.details !== '' && (isAdmin || f.code !== 500) ? { details: f.details } : {}) };
}

/** One entry of GET /servers. */
export function serverIndexView(i: Instance, c: ServerViewContext): Record<string, unknown> {
  return { id: i.id, name: i.name, links: resourceLinks(c.base, 'servers', i.id) };
}

/**
 * The fields every full server body opens with, in nova's order (id through OS-DCF:diskConfig).
 * The detail body and the pre-2.75 update/rebuild body differ here only in how much `addresses` shows.
 */
function serverCoreFields(i: Instance, c: ServerViewContext, status: string, addresses: Record<string, unknown>): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    status,
    tenant_id: i.projectId,
    user_id: i.userId,
    metadata: { ...i.metadata },
    hostId: hostId(i.projectId, i.host),
    image: i.imageRef === '' ? '' : { id: i.imageRef, links: [{ rel: 'bookmark', href: `${c.base}/images/${i.imageRef}` }] },
    flavor: flavorView(i, c),
    created: isoZ(i.createdAt),
    updated: isoZ(i.updatedAt),
    addresses,
    accessIPv4: i.accessIpV4,
    accessIPv6: i.accessIpV6,
    links: resourceLinks(c.base, 'servers', i.id),
    'OS-DCF:diskConfig': i.diskConfig,
  };
}

/** One server of GET /servers/detail and GET /servers/{id}. */
export function serverDetailView(i: Instance, c: ServerViewContext): Record<string, unknown> {
  const status = serverStatus(i.vmState, i.taskState);
  const v = c.version;
  const out: Record<string, unknown> = {
    ...serverCoreFields(i, c, status, addressesView(i)),
    'OS-EXT-AZ:availability_zone': i.availabilityZone ?? '',
    config_drive: i.configDrive,
    key_name: i.keyName,
    'OS-SRV-USG:launched_at': isoMicro(i.launchedAt),
    'OS-SRV-USG:terminated_at': isoMicro(i.terminatedAt),
    'OS-EXT-STS:task_state': i.taskState,
    'OS-EXT-STS:vm_state': i.vmState,
    'OS-EXT-STS:power_state': i.powerState,
    'os-extended-volumes:volumes_attached': (c.attachments ?? []).map((a) => (v.atLeast('2.3') ? { id: a.volumeId, delete_on_termination: a.deleteOnTermination } : { id: a.volumeId })),
  };
  if (PROGRESS_STATUSES.has(status)) out.progress = i.progress;
  if (i.securityGroups.length > 0) out.security_groups = i.securityGroups.map((name) => ({ name }));
  if (i.fault !== null && (i.vmState === 'error' || i.vmState === 'deleted')) {
    out.fault = faultView(i.fault, c.isAdmin);
  }
  if (c.isAdmin) {
    out['OS-EXT-SRV-ATTR:host'] = i.host;
    out['OS-EXT-SRV-ATTR:hypervisor_hostname'] = i.node;
    out['OS-EXT-SRV-ATTR:instance_name'] = `instance-${i.id.slice(0, 8)}`;
    if (v.atLeast('2.3')) {
      out['OS-EXT-SRV-ATTR:reservation_id'] = i.reservationId;
      out['OS-EXT-SRV-ATTR:launch_index'] = i.launchIndex;
      out['OS-EXT-SRV-ATTR:hostname'] = i.hostname;
      out['OS-EXT-SRV-ATTR:kernel_id'] = '';
      out['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      out['OS-EXT-SRV-ATTR:root_device_name'] = i.rootDeviceName;
      out['OS-EXT-SRV-ATTR:user_data'] = i.userData;
    }
  }
  if (v.atLeast('2.90') && !c.isAdmin) out['OS-EXT-SRV-ATTR:hostname'] = i.hostname;
  if (v.atLeast('2.9')) out.locked = i.locked;
  if (v.atLeast('2.16') && c.isAdmin) out.host_status = i.host === null ? '' : (c.hostStatus?.get(i.host) ?? 'UNKNOWN');
  if (v.atLeast('2.19')) out.description = i.description;
  if (v.atLeast('2.26')) out.tags = [...i.tags];
  if (v.atLeast('2.63')) out.trusted_image_certificates = trustedCertsOf(i);
  if (v.atLeast('2.73')) out.locked_reason = i.lockedReason;
  if (v.atLeast('2.96')) out.pinned_availability_zone = i.availabilityZone;
  return out;
}

/** The server of GET /servers/{id}: the detail view plus server_groups (2.71). */
export function serverShowView(i: Instance, c: ServerViewContext): Record<string, unknown> {
  const out = serverDetailView(i, c);
  if (c.version.atLeast('2.71')) out.server_groups = i.serverGroupId === null ? [] : [i.serverGroupId];
  return out;
}

/** trusted_image_certificates (2.63): kept in system metadata as JSON; null when none were given. */
export function trustedCertsOf(i: Instance): string[] | null {
  const raw = i.systemMetadata.trusted_image_certificates;
  if (raw === undefined || raw === '') return null;
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) && v.length > 0 ? v.map(String) : null;
  } catch {
    return null;
  }
}

/**
 * The server of PUT /servers/{id} and the rebuild action: nova's show without extensions before
 * 2.75, the full show view from 2.75 (rebuild: user_data instead of OS-EXT-SRV-ATTR:user_data).
 */
export function serverBasicView(i: Instance, c: ServerViewContext, opts: { rebuild: boolean }): Record<string, unknown> {
  if (c.version.atLeast('2.75')) {
    const full = serverShowView(i, c);
    if (opts.rebuild) {
      delete full['OS-EXT-SRV-ATTR:user_data'];
      full.user_data = i.userData;
    }
    return full;
  }
  const status = serverStatus(i.vmState, i.taskState);
  const v = c.version;
  // NOTE: without nova's extended IP extensions an address is only its version and addr.
  const addresses = Object.fromEntries(Object.entries(addressesView(i)).map(([k, list]) => [k, list.map((a) => ({ version: a.version, addr: a.addr }))]));
  const out = serverCoreFields(i, c, status, addresses);
  if (PROGRESS_STATUSES.has(status)) out.progress = i.progress;
  if (i.fault !== null && (i.vmState === 'error' || i.vmState === 'deleted')) out.fault = faultView(i.fault, c.isAdmin);
  if (v.atLeast('2.9')) out.locked = i.locked;
  if (v.atLeast('2.19')) out.description = i.description;
  if (v.atLeast('2.26')) out.tags = [...i.tags];
  if (opts.rebuild && v.atLeast('2.54')) out.key_name = i.keyName;
  if (opts.rebuild && v.atLeast('2.57')) out.user_data = i.userData;
  if (v.atLeast('2.63')) out.trusted_image_certificates = trustedCertsOf(i);
  if (v.atLeast('2.71')) out.server_groups = i.serverGroupId === null ? [] : [i.serverGroupId];
  if (v.atLeast('2.73')) out.locked_reason = i.lockedReason;
  return out;
}
