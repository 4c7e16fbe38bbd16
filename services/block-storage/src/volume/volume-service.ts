/** The cinder-volume process of one storage host: a manager, an RPC server and a heartbeat per configured backend. */
import type { Kysely } from 'kysely';
import type { Logger } from '@strata/log';
import { RpcServer, type Transport } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import type { VolumeDriver } from '@strata/volume';
import type { BlockStorageDatabase } from '../db/schema.js';
import { QuotaEngine, type QuotaDefaults } from '../objects/quota.js';
import { ServiceStore, type ServiceRecord } from '../objects/service-record.js';
import { VolumeStore } from '../objects/volume.js';
import { VolumeManager } from './volume-manager.js';
import { VOLUME_RPC_VERSION, VOLUME_TOPIC, VolumeRpcClient } from './volume-rpc.js';

/** One backend of a storage host (cinder's `enabled_backends` entry). */
export interface VolumeBackend {
  /** The backend's section name; the service host becomes `host@name`. */
  readonly name: string;
  /** Reported as `volume_backend_name`, matched by volume types. */
  readonly volumeBackendName: string;
  readonly driver: VolumeDriver;
}

/** What a cinder-volume process is built from. */
export interface VolumeServiceOptions {
  readonly db: Kysely<BlockStorageDatabase>;
  readonly transport: Transport;
  /** This storage host's name (cinder's `host`). */
  readonly host: string;
  readonly availabilityZone: string;
  readonly backends: readonly VolumeBackend[];
  readonly quotaDefaults: QuotaDefaults;
  readonly logger: Logger;
  readonly tracer?: Tracer | undefined;
  /** How often capacity and liveness are reported. @default 10000 */
  readonly reportIntervalMs?: number;
}

interface RunningBackend {
  readonly backend: VolumeBackend;
  readonly host: string;
  readonly service: ServiceRecord;
  readonly server: RpcServer;
}

/** A running cinder-volume. */
export class VolumeService {
  readonly #opts: VolumeServiceOptions;
  readonly #services: ServiceStore;
  readonly #running: RunningBackend[] = [];
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #reporting: Promise<void> | undefined;
  #closed = false;

  private constructor(opts: VolumeServiceOptions) {
    this.#opts = opts;
    this.#services = new ServiceStore(opts.db);
    this.#log = opts.logger.child({ component: 'cinder-volume', host: opts.host });
  }

  /** Register every backend, reconcile its claimed capacity, report once, and start serving RPC. */
  static async start(opts: VolumeServiceOptions): Promise<VolumeService> {
    const svc = new VolumeService(opts);
    try {
      const quotas = new QuotaEngine(opts.db, opts.quotaDefaults);
      const volumeRpc = new VolumeRpcClient(opts.transport);
      const volumes = new VolumeStore(opts.db);
      for (const backend of opts.backends) {
        const host = `${opts.host}@${backend.name}`;
        const record = await svc.#services.register(host, 'cinder-volume', VOLUME_TOPIC, opts.availabilityZone);
        const stats = await backend.driver.getStats();
        const allocated = await volumes.allocatedOn(host);
        for (const p of stats.pools) {
          await svc.#services.reportPool({ ...svc.#poolValues(host, backend, p), allocatedGb: allocated.get(p.poolName) ?? 0 });
        }
        await svc.#services.heartbeat(record.id, svc.#capabilities(backend, stats));
        const thin = stats.pools.some((p) => p.thinProvisioningSupport);
        const manager = new VolumeManager({ db: opts.db, driver: backend.driver, backend: host, quotas, volumeRpc, logger: opts.logger, tracer: opts.tracer, thin });
        const server = new RpcServer(opts.transport, { topic: VOLUME_TOPIC, server: host, endpoints: manager, version: VOLUME_RPC_VERSION, logger: opts.logger });
        await server.start();
        svc.#running.push({ backend, host, service: record, server });
        svc.#log.info({ backend: host, driver: backend.driver.kind, pools: stats.pools.length }, 'volume backend started');
      }
      const interval = opts.reportIntervalMs ?? 10_000;
      svc.#timer = setInterval(() => {
        svc.#reporting ??= svc.report().finally(() => (svc.#reporting = undefined));
      }, interval);
      svc.#timer.unref();
      return svc;
    } catch (err) {
      await svc.close();
      throw err;
    }
  }

  /** `host@backend` of each running backend. */
  get backendHosts(): readonly string[] {
    return this.#running.map((r) => r.host);
  }

  /** Report every backend's capacity and liveness now (the periodic heartbeat). */
  async report(): Promise<void> {
    for (const r of this.#running) {
      try {
        const stats = await r.backend.driver.getStats();
        for (const p of stats.pools) await this.#services.reportPool(this.#poolValues(r.host, r.backend, p));
        await this.#services.heartbeat(r.service.id, this.#capabilities(r.backend, stats));
      } catch (err) {
        this.#log.warn({ backend: r.host, err }, 'capacity report failed');
      }
    }
  }

  /** Stop serving, stop reporting, release the drivers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#reporting?.catch(() => undefined);
    for (const r of this.#running) await r.server.stop();
    for (const b of this.#opts.backends) await b.driver.close().catch((err: unknown) => this.#log.warn({ err }, 'driver close failed'));
  }

  #capabilities(backend: VolumeBackend, stats: Awaited<ReturnType<VolumeDriver['getStats']>>): Record<string, unknown> {
    return {
      volume_backend_name: backend.volumeBackendName,
      vendor_name: stats.vendorName,
      driver_version: stats.driverVersion,
      storage_protocol: stats.storageProtocol,
      backend_state: 'up',
      timestamp: new Date().toISOString().replace('Z', ''),
    };
  }

  #poolValues(host: string, backend: VolumeBackend, p: Awaited<ReturnType<VolumeDriver['getStats']>>['pools'][number]) {
    return {
      backend: host,
      pool: p.poolName,
      totalCapacityGb: p.totalCapacityGb,
      freeCapacityGb: p.freeCapacityGb,
      reservedPercentage: p.reservedPercentage,
      maxOverSubscriptionRatio: p.maxOverSubscriptionRatio,
      thinProvisioningSupport: p.thinProvisioningSupport,
      thickProvisioningSupport: p.thickProvisioningSupport,
      capabilities: { ...p.extra, multiattach: p.multiattach, QoS_support: false, volume_backend_name: backend.volumeBackendName },
    };
  }
}
