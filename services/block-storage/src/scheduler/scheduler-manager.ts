/** Server side of the cinder-scheduler RPC API: filter, weigh, claim atomically, then cast to the chosen cinder-volume (FLOW.md steps 42–44). */
import type { Kysely } from 'kysely';
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import type { BlockStorageDatabase } from '../db/schema.js';
import { MessageActions, MessageDetails, MessageStore } from '../objects/message.js';
import { QuotaEngine } from '../objects/quota.js';
import { serviceIsUp, ServiceStore } from '../objects/service-record.js';
import { VolumeStore } from '../objects/volume.js';
import { VolumeTypeStore } from '../objects/volume-type.js';
import type { VolumeRpcClient } from '../volume/volume-rpc.js';
import { backendStates, wantsThin, type BackendState, type FilterProperties } from './backend-state.js';
import { AvailabilityZoneFilter } from './filters/availability-zone-filter.js';
import type { BackendFilter } from './filters/backend-filter.js';
import { CapabilitiesFilter } from './filters/capabilities-filter.js';
import { CapacityFilter } from './filters/capacity-filter.js';
import { filterBackends, noValidBackendReason } from './filters/filter-chain.js';
import { SameBackendFilter } from './filters/same-backend-filter.js';
import { CapacityWeigher, weighBackends, type BackendWeigher } from './weighers/capacity-weigher.js';
import type { PoolInfo, RequestSpec, SchedulerRpc } from './scheduler-rpc.js';

/** What the scheduler is built from. */
export interface SchedulerManagerOptions {
  readonly db: Kysely<BlockStorageDatabase>;
  readonly volumeRpc: VolumeRpcClient;
  readonly quotas: QuotaEngine;
  readonly logger: Logger;
  readonly tracer?: Tracer | undefined;
  /** A backend silent this long is down and gets nothing. */
  readonly serviceDownTimeMs: number;
  /** @default AvailabilityZone, SameBackend, Capacity, Capabilities */
  readonly filters?: readonly BackendFilter[];
  /** @default [CapacityWeigher] */
  readonly weighers?: readonly BackendWeigher[];
}

/** The default filter chain, in cinder's order (scheduler_default_filters). */
export function defaultFilters(): BackendFilter[] {
  return [new AvailabilityZoneFilter(), new SameBackendFilter(), new CapacityFilter(), new CapabilitiesFilter()];
}

/** Places volumes on backends. Public methods are the RPC API (see scheduler-rpc.ts). */
export class SchedulerManager implements SchedulerRpc {
  readonly #volumes: VolumeStore;
  readonly #services: ServiceStore;
  readonly #types: VolumeTypeStore;
  readonly #messages: MessageStore;
  readonly #quotas: QuotaEngine;
  readonly #volumeRpc: VolumeRpcClient;
  readonly #log: Logger;
  readonly #tracer: Tracer | undefined;
  readonly #downMs: number;
  readonly #filters: readonly BackendFilter[];
  readonly #weighers: readonly BackendWeigher[];

  constructor(opts: SchedulerManagerOptions) {
    this.#volumes = new VolumeStore(opts.db);
    this.#services = new ServiceStore(opts.db);
    this.#types = new VolumeTypeStore(opts.db);
    this.#messages = new MessageStore(opts.db);
    this.#quotas = opts.quotas;
    this.#volumeRpc = opts.volumeRpc;
    this.#log = opts.logger.child({ component: 'cinder-scheduler' });
    this.#tracer = opts.tracer;
    this.#downMs = opts.serviceDownTimeMs;
    this.#filters = opts.filters ?? defaultFilters();
    this.#weighers = opts.weighers ?? [new CapacityWeigher()];
  }

  async createVolume(ctx: RpcContext, args: { requestSpec: RequestSpec }): Promise<void> {
    const spec = args.requestSpec;
    const trace = this.#tracer?.begin(ctx.trace?.traceId ?? ctx.globalRequestId ?? ctx.requestId);
    const started = Date.now();
    trace?.record({ step: 42, component: 'cinder-scheduler', kind: 'rpc', startedAt: started, durationMs: 0, outcome: 'ok', detail: `createVolume ${spec.volumeId}` });
    const props: FilterProperties = { size: spec.size, extraSpecs: spec.extraSpecs, availabilityZone: spec.availabilityZone, resourceBackend: spec.resourceBackend };
    const pickStarted = Date.now();
    const backends = await this.#liveBackends();
    const outcome = filterBackends(backends, this.#filters, props);
    const weighed = weighBackends(outcome.passed, this.#weighers, props);
    let chosen: BackendState | undefined;
    for (const b of weighed) {
      const thin = wantsThin(b, spec.extraSpecs);
      if (!(await this.#services.claim(b.backend, b.pool, spec.size, thin))) continue;
      // The volume may have been deleted while it waited for us (delete of an unscheduled volume).
      const placed = await this.#volumes.update(spec.volumeId, { host: b.name }, { status: ['creating'] });
      if (!placed) {
        await this.#services.unclaim(b.backend, b.pool, spec.size, thin);
        this.#log.info({ volumeId: spec.volumeId }, 'volume gone before it was placed');
        return;
      }
      chosen = b;
      break;
    }
    if (chosen === undefined) {
      const reason = weighed.length > 0 ? 'No valid backend was found. Every candidate filled up while the request was scheduled.' : noValidBackendReason(backends.length, outcome);
      trace?.record({ step: 43, component: 'cinder-scheduler', kind: 'db', startedAt: pickStarted, durationMs: Date.now() - pickStarted, outcome: 'error', detail: reason });
      this.#log.warn({ volumeId: spec.volumeId, requestId: ctx.requestId, reason }, 'no valid backend');
      await this.#volumes.update(spec.volumeId, { status: 'error' }, { status: ['creating'] });
      await this.#messages.create({ projectId: spec.projectId, requestId: ctx.requestId, resourceType: 'VOLUME', resourceUuid: spec.volumeId, action: MessageActions.scheduleAllocateVolume, detail: MessageDetails.noBackend, explanation: reason });
      await this.#volumeRpc.volumeCreated(ctx, spec.volumeId, 'error').catch(() => undefined);
      return;
    }
    trace?.record({ step: 43, component: 'cinder-scheduler', kind: 'db', startedAt: pickStarted, durationMs: Date.now() - pickStarted, outcome: 'ok', detail: `${chosen.name} of ${backends.length} backends` });
    const castStarted = Date.now();
    await this.#volumeRpc.createVolume({ ...ctx, trace: { traceId: ctx.trace?.traceId ?? ctx.requestId, parentStep: 44 } }, chosen.name, spec.volumeId, spec);
    trace?.record({ step: 44, component: 'cinder-scheduler', kind: 'rpc', startedAt: castStarted, durationMs: Date.now() - castStarted, outcome: 'ok', detail: `cast to cinder-volume.${chosen.backend}` });
    this.#log.info({ volumeId: spec.volumeId, backend: chosen.name, requestId: ctx.requestId }, 'volume scheduled');
  }

  async extendVolume(ctx: RpcContext, args: { volumeId: string; newSize: number }): Promise<void> {
    const volume = await this.#volumes.find(args.volumeId);
    if (volume === undefined || volume.host === null) return;
    const delta = args.newSize - volume.size;
    const backends = await this.#liveBackends();
    const pool = backends.find((b) => b.name === volume.host);
    const type = await this.#types.find(volume.volumeTypeId);
    const thin = pool !== undefined && wantsThin(pool, type?.extraSpecs ?? {});
    const ok = pool !== undefined && (await this.#services.claim(pool.backend, pool.pool, delta, thin));
    if (!ok) {
      const reason = pool === undefined ? 'The volume backend is down.' : 'Not enough capacity on the volume backend.';
      this.#log.warn({ volumeId: volume.id, newSize: args.newSize, reason }, 'extend refused');
      await this.#volumes.update(volume.id, { status: volume.previousStatus ?? 'available', previous_status: null }, { status: ['extending'] });
      await this.#quotas.release(volume.projectId, { gigabytes: delta, [`gigabytes_${type?.name ?? ''}`]: delta });
      await this.#messages.create({ projectId: volume.projectId, requestId: ctx.requestId, resourceType: 'VOLUME', resourceUuid: volume.id, action: MessageActions.extendVolume, detail: MessageDetails.noBackend, explanation: reason });
      return;
    }
    await this.#volumeRpc.extendVolume(ctx, volume.host, volume.id, args.newSize);
  }

  async retypeVolume(ctx: RpcContext, args: { volumeId: string; newTypeId: string; migrationPolicy: 'never' | 'on-demand' }): Promise<void> {
    const volume = await this.#volumes.find(args.volumeId);
    if (volume === undefined || volume.status !== 'retyping') return;
    const oldType = await this.#types.find(volume.volumeTypeId);
    const newType = await this.#types.find(args.newTypeId);
    const back = volume.previousStatus ?? 'available';
    const perType = (name: string | undefined) => (name === undefined ? {} : { [`volumes_${name}`]: 1, [`gigabytes_${name}`]: volume.size });
    const pool = (await this.#liveBackends()).find((b) => b.name === volume.host);
    const props: FilterProperties = { size: 0, extraSpecs: newType?.extraSpecs ?? {}, availabilityZone: volume.availabilityZone, resourceBackend: volume.host };
    const fits = newType !== undefined && pool !== undefined && filterBackends([pool], this.#filters, props).passed.length === 1;
    if (!fits) {
      const reason = pool === undefined ? 'The volume backend is down.' : `The volume's backend does not satisfy volume type ${newType?.name ?? args.newTypeId} and migration is ${args.migrationPolicy === 'never' ? 'not allowed' : 'not supported'}.`;
      this.#log.warn({ volumeId: volume.id, reason }, 'retype refused');
      await this.#volumes.update(volume.id, { status: back, previous_status: null }, { status: ['retyping'] });
      await this.#quotas.release(volume.projectId, perType(newType?.name));
      await this.#messages.create({ projectId: volume.projectId, requestId: ctx.requestId, resourceType: 'VOLUME', resourceUuid: volume.id, action: { id: '011', text: 'retype volume' }, detail: MessageDetails.noBackend, explanation: reason });
      return;
    }
    await this.#volumes.update(volume.id, { volume_type_id: newType.id, status: back, previous_status: null }, { status: ['retyping'] });
    await this.#quotas.release(volume.projectId, perType(oldType?.name));
    this.#log.info({ volumeId: volume.id, from: oldType?.name, to: newType.name }, 'volume retyped');
  }

  async getPools(_ctx: RpcContext, args: { detail: boolean; filters: Readonly<Record<string, string>> }): Promise<PoolInfo[]> {
    const backends = await this.#liveBackends();
    const f = args.filters;
    return backends
      .filter((b) => (f.name === undefined || b.name === f.name) && (f.volume_backend_name === undefined || b.capabilities.volume_backend_name === f.volume_backend_name))
      .map((b) => ({ name: b.name, capabilities: args.detail ? { ...b.capabilities, timestamp: b.capabilities.timestamp ?? null } : {} }));
  }

  /** Pools of cinder-volume services that are up, enabled and not frozen (FLOW.md step 43's DB query). */
  async #liveBackends(): Promise<BackendState[]> {
    const now = Date.now();
    const services = (await this.#services.list({ binary: 'cinder-volume' })).filter((s) => {
      const up = serviceIsUp(s, this.#downMs, now);
      if (!up) this.#log.warn({ host: s.host }, 'volume service is down');
      return up && !s.disabled && !s.frozen;
    });
    return backendStates(services, await this.#services.pools());
  }
}
