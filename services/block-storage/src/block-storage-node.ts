/**
 * Starts cinder-api, cinder-scheduler and one cinder-volume together over one database and one
 * transport — the all-in-one shape (each can also run alone from its own bin).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Database } from '@strata/db';
import type { Logger } from '@strata/log';
import { createTransport, type RuntimeTransport } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import { FakeVolumeDriver } from '@strata/volume-fake';
import { FileVolumeDriver } from '@strata/volume-file';
import { BlockStorageService, openBlockStorageDatabase } from './block-storage-service.js';
import { parseBackends, type BackendSpec } from './config.js';
import type { BlockStorageDatabase } from './db/schema.js';
import type { QuotaDefaults } from './objects/quota.js';
import { SchedulerService } from './scheduler/scheduler-service.js';
import { VolumeService, type VolumeBackend } from './volume/volume-service.js';

/** The compiled [block_storage] group (see config.ts). */
export interface BlockStorageSettings {
  readonly port: number;
  readonly auth_url?: string;
  readonly host: string;
  readonly storage_availability_zone: string;
  readonly default_volume_type: string;
  readonly enabled_backends: string;
  readonly volumes_dir: string;
  readonly export_address: string;
  readonly storage_protocol: string;
  readonly fake_capacity_gb: number;
  readonly max_over_subscription_ratio: number;
  readonly reserved_percentage: number;
  readonly report_interval: number;
  readonly service_down_time: number;
  readonly quota_volumes: number;
  readonly quota_snapshots: number;
  readonly quota_gigabytes: number;
  readonly quota_backups: number;
  readonly quota_backup_gigabytes: number;
  readonly quota_groups: number;
  readonly per_volume_size_limit: number;
}

/** What the node needs besides its settings. */
export interface BlockStorageNodeOptions {
  readonly settings: BlockStorageSettings;
  readonly databaseUrl: string;
  readonly transportUrl: string;
  readonly authUrl: string;
  readonly dataDir: string;
  readonly listenHost: string;
  readonly logger: Logger;
  readonly tracer?: Tracer | undefined;
  /** Test builds: every route must run a policy check. */
  readonly requireEnforcement?: boolean;
  /** @default 30000 */
  readonly tokenCacheTtlMs?: number;
}

/** A running node. */
export interface BlockStorageNode {
  readonly url: string;
  readonly api: BlockStorageService;
  readonly volume: VolumeService;
  /** The drivers of this host's backends, by backend name. */
  readonly drivers: ReadonlyMap<string, { readonly kind: string }>;
  readonly database: Database<BlockStorageDatabase>;
  close(): Promise<void>;
}

/** The quota defaults of the settings. */
export function quotaDefaultsOf(s: BlockStorageSettings): QuotaDefaults {
  return {
    volumes: s.quota_volumes,
    snapshots: s.quota_snapshots,
    gigabytes: s.quota_gigabytes,
    backups: s.quota_backups,
    backup_gigabytes: s.quota_backup_gigabytes,
    groups: s.quota_groups,
    per_volume_gigabytes: s.per_volume_size_limit,
  };
}

/** Build the drivers of `enabled_backends`; `auto` falls back to fake (said in the log) where qemu-img is missing. */
export async function createBackends(specs: readonly BackendSpec[], opts: { settings: BlockStorageSettings; dataDir: string; host: string; exportAddress: string; logger: Logger }): Promise<VolumeBackend[]> {
  const out: VolumeBackend[] = [];
  const log = opts.logger.child({ component: 'cinder-volume' });
  const protocol = opts.settings.storage_protocol === '' ? undefined : opts.settings.storage_protocol;
  for (const spec of specs) {
    let kind = spec.driver;
    if (kind === 'auto') {
      kind = FileVolumeDriver.available() ? 'file' : 'fake';
      if (kind === 'fake') log.warn({ backend: spec.name }, 'qemu-img is not installed: the volume backend is fake (volumes hold no data); apt-get install qemu-utils for the file backend');
    }
    const driver =
      kind === 'file'
        ? await FileVolumeDriver.create({
            dir: join(opts.settings.volumes_dir === '' ? join(opts.dataDir, 'volumes') : opts.settings.volumes_dir, spec.name),
            format: spec.format,
            host: opts.host,
            exportAddress: opts.exportAddress,
            poolName: spec.name,
            maxOverSubscriptionRatio: opts.settings.max_over_subscription_ratio,
            reservedPercentage: opts.settings.reserved_percentage,
            ...(protocol !== undefined ? { storageProtocol: protocol } : {}),
          })
        : new FakeVolumeDriver({ totalCapacityGb: opts.settings.fake_capacity_gb, poolName: spec.name, ...(protocol !== undefined ? { storageProtocol: protocol } : {}) });
    log.info({ backend: spec.name, driver: driver.kind, format: spec.format }, 'volume backend configured');
    out.push({ name: spec.name, volumeBackendName: spec.name, driver });
  }
  return out;
}

/** Start the three cinder processes of one node. Everything started is stopped again when a later step fails. */
export async function startBlockStorageNode(opts: BlockStorageNodeOptions): Promise<BlockStorageNode> {
  const s = opts.settings;
  const host = s.host === '' ? hostname() : s.host;
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch((err: unknown) => opts.logger.error({ err }, 'error while stopping block storage'));
  };
  try {
    const database = await openBlockStorageDatabase(opts.databaseUrl);
    closers.push(() => database.close());
    const transport: RuntimeTransport = await createTransport(opts.transportUrl, { logger: opts.logger, connectionName: `cinder:${host}` });
    closers.push(() => transport.close());
    const quotaDefaults = quotaDefaultsOf(s);
    const api = await BlockStorageService.create({
      db: database.db,
      transport,
      authUrl: opts.authUrl,
      host,
      config: { defaultAvailabilityZone: s.storage_availability_zone, defaultVolumeType: s.default_volume_type, serviceDownTimeMs: s.service_down_time },
      quotaDefaults,
      logger: opts.logger,
      tracer: opts.tracer,
      ...(opts.requireEnforcement === true ? { requireEnforcement: true } : {}),
      ...(opts.tokenCacheTtlMs !== undefined ? { tokenCacheTtlMs: opts.tokenCacheTtlMs } : {}),
    });
    closers.push(() => api.close());
    const scheduler = await SchedulerService.start({ db: database.db, transport, host, availabilityZone: s.storage_availability_zone, quotaDefaults, logger: opts.logger, tracer: opts.tracer, serviceDownTimeMs: s.service_down_time, reportIntervalMs: s.report_interval });
    closers.push(() => scheduler.close());
    const backends = await createBackends(parseBackends(s.enabled_backends), { settings: s, dataDir: opts.dataDir, host, exportAddress: s.export_address === '' ? opts.listenHost : s.export_address, logger: opts.logger });
    const volume = await VolumeService.start({ db: database.db, transport, host, availabilityZone: s.storage_availability_zone, backends, quotaDefaults, logger: opts.logger, tracer: opts.tracer, reportIntervalMs: s.report_interval }).catch(async (err: unknown) => {
      for (const b of backends) await b.driver.close();
      throw err;
    });
    closers.push(() => volume.close());
    const url = await api.listen(opts.listenHost, s.port);
    return { url, api, volume, drivers: new Map(backends.map((b) => [b.name, { kind: b.driver.kind }])), database, close };
  } catch (err) {
    await close();
    throw err;
  }
}
