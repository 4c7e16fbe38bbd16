/**
 * Server side of the cinder-volume RPC API for one backend: runs the driver and records the
 * outcome in the DB (FLOW.md steps 45–48). Like real cinder-volume it has its own DB access.
 */
import type { Kysely } from 'kysely';
import { nowIso } from '@strata/db';
import { isOpenStackError } from '@strata/errors';
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import type { ConnectionInfo, Connector, SnapshotRef, VolumeDriver, VolumeRef } from '@strata/volume';
import type { BlockStorageDatabase } from '../db/schema.js';
import { AttachmentStore } from '../objects/attachment.js';
import { GroupStore } from '../objects/group.js';
import { MessageActions, MessageDetails, MessageStore, type MessageDetail } from '../objects/message.js';
import { QuotaEngine, snapshotDeltas, volumeDeltas } from '../objects/quota.js';
import { ServiceStore } from '../objects/service-record.js';
import { SnapshotStore, type Snapshot } from '../objects/snapshot.js';
import { TransferStore } from '../objects/transfer.js';
import { VolumeStore, type Volume } from '../objects/volume.js';
import { VolumeTypeStore } from '../objects/volume-type.js';
import type { ImageRequest, RequestSpec } from '../scheduler/scheduler-rpc.js';
import { glanceImageSink, glanceImageSource } from './image-transfer.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { ImageUpload, VolumeRpc, VolumeRpcClient } from './volume-rpc.js';

/** What a backend's manager is built from. */
export interface VolumeManagerOptions {
  readonly db: Kysely<BlockStorageDatabase>;
  readonly driver: VolumeDriver;
  /** `host@backend`. */
  readonly backend: string;
  readonly quotas: QuotaEngine;
  readonly volumeRpc: VolumeRpcClient;
  readonly logger: Logger;
  readonly tracer?: Tracer | undefined;
  /** Whether volumes on this backend are thin (for giving capacity claims back). */
  readonly thin: boolean;
}

function ref(v: Volume, size = v.size): VolumeRef {
  return { id: v.id, size, location: v.providerLocation };
}

function snapRef(s: Snapshot): SnapshotRef {
  return { id: s.id, volumeId: s.volumeId, volumeSize: s.volumeSize, location: s.providerLocation };
}

function poolOf(host: string | null): string | undefined {
  if (host === null) return undefined;
  const i = host.indexOf('#');
  return i < 0 ? undefined : host.slice(i + 1);
}

/** One backend's volume operations. Public methods are the RPC API (see volume-rpc.ts). */
export class VolumeManager implements VolumeRpc {
  readonly #driver: VolumeDriver;
  readonly #backend: string;
  readonly #volumes: VolumeStore;
  readonly #snapshots: SnapshotStore;
  readonly #attachments: AttachmentStore;
  readonly #types: VolumeTypeStore;
  readonly #services: ServiceStore;
  readonly #messages: MessageStore;
  readonly #transfers: TransferStore;
  readonly #groups: GroupStore;
  readonly #quotas: QuotaEngine;
  readonly #rpc: VolumeRpcClient;
  readonly #log: Logger;
  readonly #tracer: Tracer | undefined;
  readonly #thin: boolean;
  readonly #locks = new KeyedMutex();

  constructor(opts: VolumeManagerOptions) {
    this.#driver = opts.driver;
    this.#backend = opts.backend;
    this.#volumes = new VolumeStore(opts.db);
    this.#snapshots = new SnapshotStore(opts.db);
    this.#attachments = new AttachmentStore(opts.db);
    this.#types = new VolumeTypeStore(opts.db);
    this.#services = new ServiceStore(opts.db);
    this.#messages = new MessageStore(opts.db);
    this.#transfers = new TransferStore(opts.db);
    this.#groups = new GroupStore(opts.db);
    this.#quotas = opts.quotas;
    this.#rpc = opts.volumeRpc;
    this.#log = opts.logger.child({ component: 'cinder-volume', host: opts.backend });
    this.#tracer = opts.tracer;
    this.#thin = opts.thin;
  }

  async createVolume(ctx: RpcContext, args: { volumeId: string; requestSpec: RequestSpec }): Promise<void> {
    const trace = this.#tracer?.begin(ctx.trace?.traceId ?? ctx.globalRequestId ?? ctx.requestId);
    trace?.record({ step: 45, component: 'cinder-volume', kind: 'rpc', startedAt: Date.now(), durationMs: 0, outcome: 'ok', detail: `createVolume on ${this.#backend}` });
    await this.#locks.run(args.volumeId, async () => {
      const v = await this.#volumes.find(args.volumeId);
      if (v === undefined || v.status !== 'creating') return;
      const spec = args.requestSpec;
      let status = 'available';
      const driverStarted = Date.now();
      try {
        let set: { provider_location: string; bootable?: boolean; image_metadata?: string };
        if (spec.snapshotId !== null) {
          const s = await this.#snapshots.get(spec.snapshotId);
          const src = await this.#volumes.find(s.volumeId);
          const made = await this.#driver.createVolumeFromSnapshot(ref(v), snapRef(s));
          set = { provider_location: made.location, ...(src !== undefined ? { bootable: src.bootable, image_metadata: JSON.stringify(src.imageMetadata) } : {}) };
        } else if (spec.sourceVolid !== null) {
          const src = await this.#volumes.get(spec.sourceVolid);
          const made = await this.#driver.createClonedVolume(ref(v), ref(src));
          set = { provider_location: made.location, bootable: src.bootable, image_metadata: JSON.stringify(src.imageMetadata) };
        } else if (spec.image !== null) {
          await this.#volumes.update(v.id, { status: 'downloading' }, { status: ['creating'] });
          const made = await this.#driver.createVolumeFromImage(ref(v), glanceImageSource(spec.image, ctx.globalRequestId));
          set = { provider_location: made.location, bootable: true, image_metadata: JSON.stringify(spec.image.properties) };
        } else {
          const made = await this.#driver.createVolume(ref(v));
          set = { provider_location: made.location };
        }
        trace?.record({ step: 46, component: 'cinder-volume', kind: 'rpc', startedAt: driverStarted, durationMs: Date.now() - driverStarted, outcome: 'ok', detail: `${this.#driver.kind} driver created the volume` });
        const saveStarted = Date.now();
        const saved = await this.#volumes.update(v.id, { ...set, status: 'available', launched_at: nowIso() }, { status: ['creating', 'downloading'] });
        trace?.record({ step: 47, component: 'cinder-volume', kind: 'db', startedAt: saveStarted, durationMs: Date.now() - saveStarted, outcome: 'ok', detail: 'volume saved as available' });
        if (!saved) this.#log.warn({ volumeId: v.id }, 'volume changed while it was created');
        this.#log.info({ volumeId: v.id, size: v.size, ms: Date.now() - driverStarted, requestId: ctx.requestId }, 'volume created');
      } catch (err) {
        status = 'error';
        trace?.record({ step: 46, component: 'cinder-volume', kind: 'rpc', startedAt: driverStarted, durationMs: Date.now() - driverStarted, outcome: 'error', detail: (err as Error).message });
        this.#log.error({ volumeId: v.id, err, requestId: ctx.requestId }, 'volume create failed');
        await this.#volumes.update(v.id, { status: 'error' });
        await this.#unclaim(v.host, v.size);
        const detail: MessageDetail = isOpenStackError(err) && err.status < 500 ? { id: '001', text: err.message } : MessageDetails.unknownError;
        await this.#message(ctx, v, spec.image !== null ? MessageActions.copyImageToVolume : MessageActions.createVolumeFromBackend, detail);
      }
      const notifyStarted = Date.now();
      await this.#rpc.volumeCreated(ctx, v.id, status).catch((err: unknown) => this.#log.warn({ err }, 'could not notify cinder-api'));
      trace?.record({ step: 48, component: 'cinder-volume', kind: 'rpc', startedAt: notifyStarted, durationMs: Date.now() - notifyStarted, outcome: 'ok', detail: `volume ${status}` });
    });
  }

  async deleteVolume(ctx: RpcContext, args: { volumeId: string; cascade: boolean }): Promise<void> {
    await this.#locks.run(args.volumeId, async () => {
      const v = await this.#volumes.find(args.volumeId);
      if (v === undefined) return;
      try {
        const type = await this.#types.find(v.volumeTypeId);
        if (args.cascade) {
          for (const s of await this.#snapshots.list({ volumeId: v.id })) {
            await this.#driver.deleteSnapshot(snapRef(s), ref(v));
            await this.#snapshots.remove(s.id);
            if (s.useQuota) await this.#quotas.release(s.projectId, snapshotDeltas(s.volumeSize, type?.name ?? ''));
          }
        }
        for (const a of await this.#attachments.list({ volumeId: v.id })) await this.#driver.terminateConnection(ref(v), a.id);
        await this.#driver.deleteVolume(ref(v));
        await this.#attachments.removeForVolume(v.id);
        await this.#transfers.removeForVolume(v.id);
        await this.#volumes.remove(v.id);
        if (v.useQuota) await this.#quotas.release(v.projectId, volumeDeltas(v.size, type?.name ?? ''));
        await this.#unclaim(v.host, v.size);
        this.#log.info({ volumeId: v.id, requestId: ctx.requestId }, 'volume deleted');
      } catch (err) {
        this.#log.error({ volumeId: v.id, err, requestId: ctx.requestId }, 'volume delete failed');
        await this.#volumes.update(v.id, { status: 'error_deleting' });
      }
    });
  }

  async extendVolume(ctx: RpcContext, args: { volumeId: string; newSize: number }): Promise<void> {
    await this.#locks.run(args.volumeId, async () => {
      const v = await this.#volumes.find(args.volumeId);
      if (v === undefined || v.status !== 'extending') return;
      try {
        await this.#driver.extendVolume(ref(v), args.newSize);
        await this.#volumes.update(v.id, { size: args.newSize, status: v.previousStatus ?? 'available', previous_status: null }, { status: ['extending'] });
        this.#log.info({ volumeId: v.id, newSize: args.newSize, requestId: ctx.requestId }, 'volume extended');
      } catch (err) {
        this.#log.error({ volumeId: v.id, err, requestId: ctx.requestId }, 'volume extend failed');
        await this.#volumes.update(v.id, { status: 'error_extending', previous_status: null });
        const type = await this.#types.find(v.volumeTypeId);
        const delta = args.newSize - v.size;
        await this.#quotas.release(v.projectId, { gigabytes: delta, [`gigabytes_${type?.name ?? ''}`]: delta });
        await this.#unclaim(v.host, delta);
        await this.#message(ctx, v, MessageActions.extendVolume, MessageDetails.unknownError);
      }
    });
  }

  async createSnapshot(ctx: RpcContext, args: { snapshotId: string }): Promise<void> {
    const s = await this.#snapshots.find(args.snapshotId);
    if (s === undefined) return;
    await this.#locks.run(s.volumeId, async () => {
      const v = await this.#volumes.find(s.volumeId);
      if (v === undefined) return;
      try {
        const made = await this.#driver.createSnapshot(snapRef(s), ref(v));
        await this.#snapshots.update(s.id, { status: 'available', progress: '100%', provider_location: made.location }, ['creating']);
        this.#log.info({ snapshotId: s.id, volumeId: v.id, requestId: ctx.requestId }, 'snapshot created');
      } catch (err) {
        this.#log.error({ snapshotId: s.id, err, requestId: ctx.requestId }, 'snapshot create failed');
        await this.#snapshots.update(s.id, { status: 'error' });
        await this.#messages.create({ projectId: s.projectId, requestId: ctx.requestId, resourceType: 'VOLUME_SNAPSHOT', resourceUuid: s.id, action: MessageActions.snapshotCreate, detail: MessageDetails.unknownError });
      }
      if (s.groupSnapshotId !== null) await this.#groups.settleGroupSnapshot(s.groupSnapshotId);
    });
  }

  async deleteSnapshot(ctx: RpcContext, args: { snapshotId: string }): Promise<void> {
    const s = await this.#snapshots.find(args.snapshotId);
    if (s === undefined) return;
    await this.#locks.run(s.volumeId, async () => {
      const v = await this.#volumes.find(s.volumeId);
      try {
        if (v !== undefined) await this.#driver.deleteSnapshot(snapRef(s), ref(v));
        await this.#snapshots.remove(s.id);
        const type = await this.#types.find(s.volumeTypeId);
        if (s.useQuota) await this.#quotas.release(s.projectId, snapshotDeltas(s.volumeSize, type?.name ?? ''));
        this.#log.info({ snapshotId: s.id, requestId: ctx.requestId }, 'snapshot deleted');
      } catch (err) {
        this.#log.error({ snapshotId: s.id, err, requestId: ctx.requestId }, 'snapshot delete failed');
        await this.#snapshots.update(s.id, { status: 'error_deleting' });
      }
    });
  }

  async revertToSnapshot(ctx: RpcContext, args: { volumeId: string; snapshotId: string }): Promise<void> {
    await this.#locks.run(args.volumeId, async () => {
      const v = await this.#volumes.find(args.volumeId);
      const s = await this.#snapshots.find(args.snapshotId);
      if (v === undefined || s === undefined) return;
      try {
        if (this.#driver.revertToSnapshot === undefined) throw new Error('the backend cannot revert to a snapshot');
        await this.#driver.revertToSnapshot(ref(v), snapRef(s));
        await this.#volumes.update(v.id, { status: 'available' }, { status: ['reverting'] });
        await this.#snapshots.update(s.id, { status: 'available' }, ['restoring']);
      } catch (err) {
        this.#log.error({ volumeId: v.id, snapshotId: s.id, err, requestId: ctx.requestId }, 'revert failed');
        await this.#volumes.update(v.id, { status: 'error' });
        await this.#snapshots.update(s.id, { status: 'available' });
      }
    });
  }

  async copyVolumeToImage(ctx: RpcContext, args: { volumeId: string; image: ImageUpload }): Promise<void> {
    await this.#locks.run(args.volumeId, async () => {
      const v = await this.#volumes.find(args.volumeId);
      if (v === undefined) return;
      const back = v.previousStatus ?? 'available';
      try {
        await this.#driver.copyVolumeToImage(ref(v), glanceImageSink(args.image, ctx.globalRequestId));
        this.#log.info({ volumeId: v.id, imageId: args.image.id, requestId: ctx.requestId }, 'volume uploaded to image');
      } catch (err) {
        this.#log.error({ volumeId: v.id, imageId: args.image.id, err, requestId: ctx.requestId }, 'upload to image failed');
        await this.#message(ctx, v, MessageActions.copyVolumeToImage, MessageDetails.failedToUploadVolume);
      } finally {
        await this.#volumes.update(v.id, { status: back, previous_status: null }, { status: ['uploading'] });
      }
    });
  }

  async reimageVolume(ctx: RpcContext, args: { volumeId: string; image: ImageRequest }): Promise<void> {
    await this.#locks.run(args.volumeId, async () => {
      const v = await this.#volumes.find(args.volumeId);
      if (v === undefined) return;
      try {
        await this.#driver.deleteVolume(ref(v));
        const made = await this.#driver.createVolumeFromImage(ref(v), glanceImageSource(args.image, ctx.globalRequestId));
        await this.#volumes.update(v.id, { status: v.previousStatus ?? 'available', previous_status: null, provider_location: made.location, bootable: true, image_metadata: JSON.stringify(args.image.properties) }, { status: ['downloading'] });
      } catch (err) {
        this.#log.error({ volumeId: v.id, err, requestId: ctx.requestId }, 'reimage failed');
        await this.#volumes.update(v.id, { status: 'error', previous_status: null });
        await this.#message(ctx, v, MessageActions.reimage, MessageDetails.unknownError);
      }
    });
  }

  async initializeConnection(ctx: RpcContext, args: { volumeId: string; connector: Connector; attachmentId: string }): Promise<ConnectionInfo> {
    const v = await this.#volumes.get(args.volumeId);
    const readOnly = v.adminMetadata.readonly === 'True';
    const info = await this.#driver.initializeConnection(ref(v), args.connector, args.attachmentId, { readOnly });
    this.#log.info({ volumeId: v.id, attachmentId: args.attachmentId, type: info.driver_volume_type, requestId: ctx.requestId }, 'connection initialized');
    return {
      driver_volume_type: info.driver_volume_type,
      data: { ...info.data, volume_id: v.id, attachment_id: args.attachmentId, access_mode: readOnly ? 'ro' : 'rw', encrypted: false, qos_specs: null, discard: true, cacheable: false },
    };
  }

  async terminateConnection(ctx: RpcContext, args: { volumeId: string; attachmentId: string }): Promise<void> {
    const v = await this.#volumes.find(args.volumeId);
    if (v === undefined) return;
    await this.#driver.terminateConnection(ref(v), args.attachmentId);
    this.#log.info({ volumeId: v.id, attachmentId: args.attachmentId, requestId: ctx.requestId }, 'connection terminated');
  }

  async #unclaim(host: string | null, sizeGb: number): Promise<void> {
    const pool = poolOf(host);
    if (pool === undefined || sizeGb <= 0) return;
    await this.#services.unclaim(this.#backend, pool, sizeGb, this.#thin);
  }

  async #message(ctx: RpcContext, v: Volume, action: { id: string; text: string }, detail: MessageDetail): Promise<void> {
    await this.#messages.create({ projectId: v.projectId, requestId: ctx.requestId, resourceType: 'VOLUME', resourceUuid: v.id, action, detail }).catch((err: unknown) => this.#log.warn({ err }, 'could not record a user message'));
  }

}
