/**
 * One nova-compute host: its manager serving `compute.<host>`, and the resource tracker that
 * reports it (the service heartbeat) through conductor. Started the same way by the all-in-one
 * (one or more hosts beside the controller) and by `strata host` (a process of its own).
 */
import { join } from 'node:path';
import type { Logger } from '@strata/log';
import { RpcClient, RpcServer, type Transport } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import { ConductorRpcClient } from '../conductor/conductor-rpc.js';
import { SchedulerRpcClient } from '../scheduler/scheduler-rpc.js';
import { ServiceCatalog } from '../clients/service-catalog.js';
import { ImageService } from '../clients/image-service.js';
import { NetworkService } from '../clients/network-service.js';
import { VolumeService } from '../clients/volume-service.js';
import { ComputeManager, type ComputeManagerOptions } from './compute-manager.js';
import { ResourceTracker } from './resource-tracker.js';
import type { Hypervisor } from './hypervisor.js';

/** The [compute] options a compute host uses (durations in ms). */
export interface ComputeHostSettings {
  readonly defaultAvailabilityZone: string;
  readonly cpuAllocationRatio: number;
  readonly ramAllocationRatio: number;
  readonly diskAllocationRatio: number;
  readonly reportIntervalMs: number;
  readonly maxAttempts: number;
  readonly vifPluggingTimeoutMs: number;
}

/** What the compute hosts of one process share: the bus, the RPC clients, and the REST clients of glance, neutron and cinder. */
export type ComputeHostDeps = Pick<ComputeManagerOptions, 'conductor' | 'scheduler' | 'images' | 'networks' | 'volumes' | 'tracer' | 'logger'> & { readonly transport: Transport };

/** Build the shared dependencies on a transport; the other services are found in keystone's catalog at `authUrl`. */
export function computeHostDeps(o: { transport: Transport; authUrl: string; tracer: Tracer; logger: Logger; catalogOverrides?: Record<string, string | null> }): ComputeHostDeps {
  const catalog = new ServiceCatalog(o.authUrl, { ...(o.catalogOverrides !== undefined ? { overrides: o.catalogOverrides } : {}) });
  return {
    transport: o.transport,
    conductor: new ConductorRpcClient(new RpcClient(o.transport, { topic: 'conductor', version: ConductorRpcClient.VERSION, logger: o.logger, timeoutMs: 60_000 })),
    scheduler: new SchedulerRpcClient(new RpcClient(o.transport, { topic: 'scheduler', version: SchedulerRpcClient.VERSION, logger: o.logger })),
    images: new ImageService(catalog),
    networks: new NetworkService(catalog),
    volumes: new VolumeService(catalog),
    tracer: o.tracer,
    logger: o.logger,
  };
}

/** A running nova-compute for one host. */
export class ComputeHost {
  readonly host: string;
  readonly manager: ComputeManager;
  readonly hypervisor: Hypervisor;
  readonly #server: RpcServer;
  readonly #tracker: ResourceTracker;
  #stopped: Promise<void> | undefined;

  private constructor(init: { host: string; manager: ComputeManager; hypervisor: Hypervisor; server: RpcServer; tracker: ResourceTracker }) {
    this.host = init.host;
    this.manager = init.manager;
    this.hypervisor = init.hypervisor;
    this.#server = init.server;
    this.#tracker = init.tracker;
  }

  /**
   * Serve `compute.<host>` and report the host (its service record and resources) at once, then
   * every report interval. `stateDir` holds the per-host image cache (null: no image data).
   */
  static async start(deps: ComputeHostDeps, o: { host: string; hypervisor: Hypervisor; settings: ComputeHostSettings; stateDir: string | null }): Promise<ComputeHost> {
    const s = o.settings;
    const manager = new ComputeManager({
      host: o.host,
      hypervisor: o.hypervisor,
      conductor: deps.conductor,
      scheduler: deps.scheduler,
      images: deps.images,
      networks: deps.networks,
      volumes: deps.volumes,
      tracer: deps.tracer,
      logger: deps.logger.child({ component: 'nova-compute', host: o.host }),
      imageCacheDir: o.stateDir === null ? null : join(o.stateDir, 'image-cache', o.host),
      maxAttempts: s.maxAttempts,
      vifPluggingTimeoutMs: s.vifPluggingTimeoutMs,
    });
    const server = new RpcServer(deps.transport, { topic: 'compute', server: o.host, version: '1.0', endpoints: manager, logger: deps.logger });
    await server.start();
    const tracker = new ResourceTracker({
      host: o.host,
      hostIp: '127.0.0.1',
      availabilityZone: s.defaultAvailabilityZone,
      cpuAllocationRatio: s.cpuAllocationRatio,
      ramAllocationRatio: s.ramAllocationRatio,
      diskAllocationRatio: s.diskAllocationRatio,
      intervalMs: s.reportIntervalMs,
      hypervisor: o.hypervisor,
      conductor: deps.conductor,
      logger: deps.logger,
    });
    try {
      await tracker.start();
    } catch (err) {
      manager.close();
      await server.stop();
      throw err;
    }
    return new ComputeHost({ host: o.host, manager, hypervisor: o.hypervisor, server, tracker });
  }

  /** Stop reporting (the host goes down after service_down_time), stop consuming, close the hypervisor. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.manager.close();
      await this.#tracker.stop();
      await this.#server.stop();
      await this.hypervisor.close();
    })();
    return this.#stopped;
  }
}
