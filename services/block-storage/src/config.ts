/** The [block_storage] config group: cinder-api's port, the storage host and its backends, zones, heartbeats and default quotas. */
import { durationOpt, intOpt, portOpt, stringOpt } from '@strata/config';

/** One entry of `enabled_backends`. */
export interface BackendSpec {
  /** The backend's name (`host@name`), also its `volume_backend_name`. */
  readonly name: string;
  /** `auto` picks `file` where qemu-img is installed, else `fake`. */
  readonly driver: 'auto' | 'file' | 'fake';
  readonly format: 'qcow2' | 'raw';
}

const BACKEND = /^([A-Za-z0-9_.-]+)(?::(auto|file|fake))?(?::(qcow2|raw))?$/;

/** Parse `enabled_backends` (`name[:driver[:format]]`, comma separated); throws a message for a bad entry. */
export function parseBackends(text: string, defaultFormat: 'qcow2' | 'raw' = 'qcow2'): BackendSpec[] {
  const out: BackendSpec[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = BACKEND.exec(raw);
    if (m === null) throw new Error(`bad backend ${JSON.stringify(raw)}: expected name[:auto|file|fake[:qcow2|raw]]`);
    if (out.some((b) => b.name === m[1])) throw new Error(`backend ${m[1]} is listed twice`);
    out.push({ name: m[1] as string, driver: (m[2] ?? 'auto') as BackendSpec['driver'], format: (m[3] ?? defaultFormat) as BackendSpec['format'] });
  }
  if (out.length === 0) throw new Error('at least one backend is needed');
  return out;
}

/** Options of cinder-api, cinder-scheduler and cinder-volume. */
export const blockStorageSchema = {
  block_storage: {
    port: portOpt(8776, 'Port of the Block Storage v3 API.'),
    auth_url: stringOpt('', "Keystone's auth URL (…/v3) for token validation when cinder runs as its own processes (bin/cinder-*). Possible values: a URL; empty in the all-in-one, which passes its own."),
    host: stringOpt('', "This storage host's name (cinder's host); volume backends register as <host>@<backend>. Possible values: a host name; empty means the machine's host name."),
    service_password: stringOpt('', "Password of cinder's service user `cinder` (project `service`, roles admin and service), which cinder authenticates as for its calls to other services. Possible values: any string; empty means a generated one, kept in <data-dir>/service-credentials.json. A set value wins: bootstrap resets the user's password to it."),
    storage_availability_zone: stringOpt('nova', 'Availability zone of this storage host and the default zone of new volumes. Possible values: any non-empty string.', (v) => (v === '' ? 'must not be empty' : undefined)),
    default_volume_type: stringOpt('__DEFAULT__', 'Volume type of volumes created without one. Possible values: the name of an existing volume type.'),
    enabled_backends: stringOpt(
      'file',
      'Backends of this storage host, comma separated, each name[:driver[:format]] with driver auto (file where qemu-img is installed, else fake), file or fake, and format qcow2 (thin) or raw (preallocated). Example: "thin:file:qcow2,thick:file:raw".',
      (v) => {
        try {
          parseBackends(v);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    ),
    volumes_dir: stringOpt('', 'Directory of the file backend; each backend uses a subdirectory named after it. Possible values: a path; empty means <data-dir>/volumes.'),
    export_address: stringOpt('', "Address NBD exports of this storage host listen on (the storage host's address). Possible values: an IP address; empty means the API listen host."),
    storage_protocol: stringOpt('', 'storage_protocol the backends report to the scheduler. Possible values: any string; empty means the driver\'s own (NBD for file, fake for fake).'),
    fake_capacity_gb: intOpt(10_000, 'Capacity the fake backend reports, in GiB.', 1, 2 ** 31),
    max_over_subscription_ratio: intOpt(20, 'How far thin backends may be over-subscribed (provisioned / total).', 1, 1000),
    reserved_percentage: intOpt(0, 'Percentage of each backend kept free.', 0, 100),
    report_interval: durationOpt(10_000, 'How often services report liveness and capacity.', 100, 3_600_000),
    service_down_time: durationOpt(60_000, 'A service that has not reported for this long is down.', 1000, 86_400_000),
    quota_volumes: intOpt(10, 'Default volumes per project (-1: unlimited).', -1, 2 ** 31 - 1),
    quota_snapshots: intOpt(10, 'Default snapshots per project (-1: unlimited).', -1, 2 ** 31 - 1),
    quota_gigabytes: intOpt(1000, 'Default GiB of volumes and snapshots per project (-1: unlimited).', -1, 2 ** 31 - 1),
    quota_backups: intOpt(10, 'Default backups per project (-1: unlimited).', -1, 2 ** 31 - 1),
    quota_backup_gigabytes: intOpt(1000, 'Default GiB of backups per project (-1: unlimited).', -1, 2 ** 31 - 1),
    quota_groups: intOpt(10, 'Default groups per project (-1: unlimited).', -1, 2 ** 31 - 1),
    per_volume_size_limit: intOpt(-1, 'Largest volume in GiB (-1: no limit).', -1, 2 ** 31 - 1),
  },
} as const;
