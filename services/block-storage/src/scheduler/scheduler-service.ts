/** The cinder-scheduler process: the SchedulerManager behind an RPC server, with a heartbeat. */
import type { Kysely } from 'kysely';
import type { Logger } from '@strata/log';
import { RpcServer, type Transport } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import type { BlockStorageDatabase } from '../db/schema.js';
import { QuotaEngine, type QuotaDefaults } from '../objects/quota.js';
import { ServiceStore } from '../objects/service-record.js';
import { VolumeRpcClient } from '../volume/volume-rpc.js';
import { SchedulerManager } from './scheduler-manager.js';
import { SCHEDULER_RPC_VERSION, SCHEDULER_TOPIC } from './scheduler-rpc.js';

/** What a cinder-scheduler is built from. */
export interface SchedulerServiceOptions {
  readonly db: Kysely<BlockStorageDatabase>;
  readonly transport: Transport;
  readonly host: string;
  readonly availabilityZone: string;
  readonly quotaDefaults: QuotaDefaults;
  readonly logger: Logger;
  readonly tracer?: Tracer | undefined;
  readonly serviceDownTimeMs: number;
  /** @default 10000 */
  readonly reportIntervalMs?: number;
}

/** A running cinder-scheduler. */
export class SchedulerService {
  readonly #server: RpcServer;
  readonly #timer: NodeJS.Timeout;

  private constructor(server: RpcServer, timer: NodeJS.Timeout) {
    this.#server = server;
    this.#timer = timer;
  }

  /** Register, start consuming `cinder-scheduler`, and heartbeat. */
  static async start(opts: SchedulerServiceOptions): Promise<SchedulerService> {
    const services = new ServiceStore(opts.db);
    const record = await services.register(opts.host, 'cinder-scheduler', SCHEDULER_TOPIC, opts.availabilityZone);
    const manager = new SchedulerManager({
      db: opts.db,
      volumeRpc: new VolumeRpcClient(opts.transport),
      quotas: new QuotaEngine(opts.db, opts.quotaDefaults),
      logger: opts.logger,
      tracer: opts.tracer,
      serviceDownTimeMs: opts.serviceDownTimeMs,
    });
    const server = new RpcServer(opts.transport, { topic: SCHEDULER_TOPIC, server: opts.host, endpoints: manager, version: SCHEDULER_RPC_VERSION, logger: opts.logger });
    await server.start();
    const log = opts.logger.child({ component: 'cinder-scheduler' });
    const timer = setInterval(() => {
      services.heartbeat(record.id).catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
    }, opts.reportIntervalMs ?? 10_000);
    timer.unref();
    return new SchedulerService(server, timer);
  }

  /** Stop consuming and heartbeating. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#server.stop();
  }
}
