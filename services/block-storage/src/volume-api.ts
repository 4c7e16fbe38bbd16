/**
 * VolumeApi: what cinder/volume/api.py does for volumes — checks, quota, DB writes with
 * compare-and-swap status changes, then RPC to cinder-scheduler or the volume's cinder-volume.
 */
import type { Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import type { RequestContext } from '@strata/auth';
import { jsonColumn, nowIso } from '@strata/db';
import { BadRequest, NotFound, OverLimit } from '@strata/errors';
import type { Logger } from '@strata/log';
import type { Tracer } from '@strata/trace';
import type { ConnectionInfo, Connector } from '@strata/volume';
import { DB_MAX_INT, isUuidLike, rpcContext, visibleTo, type BlockStorageApiConfig } from './api-support.js';
import type { BlockStorageDatabase } from './db/schema.js';
import type { GlanceImage, ImageGateway } from './image-gateway.js';
import { AttachmentStore, type Attachment } from './objects/attachment.js';
import { GroupStore } from './objects/group.js';
import { newId, page, readMetadata, sortBy, writeMetadata, deleteMetadataKey, type Metadata, type SortKey } from './objects/common.js';
import { QuotaEngine, volumeDeltas } from './objects/quota.js';
import { serviceIsUp, ServiceStore } from './objects/service-record.js';
import { SnapshotStore } from './objects/snapshot.js';
import { TransferStore } from './objects/transfer.js';
import { VolumeNotFound, VolumeStore, type Volume, type VolumeFilter, type TimeComparison } from './objects/volume.js';
import { DEFAULT_VOLUME_TYPE, VolumeTypeStore, type VolumeType } from './objects/volume-type.js';
import type { ImageRequest, RequestSpec, SchedulerRpcClient } from './scheduler/scheduler-rpc.js';
import type { VolumeRpcClient } from './volume/volume-rpc.js';

/** What VolumeApi is built from. */
export interface VolumeApiOptions {
  readonly db: Kysely<BlockStorageDatabase>;
  readonly scheduler: SchedulerRpcClient;
  readonly volumeRpc: VolumeRpcClient;
  readonly quotas: QuotaEngine;
  readonly images: ImageGateway;
  readonly config: BlockStorageApiConfig;
  readonly logger: Logger;
  readonly tracer?: Tracer | undefined;
}

/** The body of a create, already shape-checked by the route. */
export interface VolumeCreateRequest {
  readonly size: number | undefined;
  readonly name: string | null;
  readonly description: string | null;
  readonly volumeType: string | undefined;
  readonly metadata: Metadata;
  readonly snapshotId: string | undefined;
  readonly sourceVolid: string | undefined;
  readonly imageRef: string | undefined;
  readonly availabilityZone: string | undefined;
  readonly groupId: string | undefined;
}

/** The query of a volume list. */
export interface VolumeListQuery {
  readonly filter: VolumeFilter;
  readonly allTenants: boolean;
  readonly sort: readonly SortKey[];
  readonly limit: number;
  readonly marker: string | undefined;
  readonly offset: number;
}

/** Statuses os-reset_status accepts (cinder's VolumeStatus). */
export const VOLUME_STATUSES = [
  'creating', 'available', 'deleting', 'error', 'error_deleting', 'error_managing', 'managing', 'attaching', 'in-use', 'detaching', 'maintenance',
  'restoring-backup', 'error_restoring', 'reserved', 'awaiting-transfer', 'backing-up', 'error_backing-up', 'error_extending', 'downloading', 'uploading',
  'retyping', 'extending',
] as const;

/** Sort keys cinder accepts for volumes. */
export const VOLUME_SORT_KEYS = new Set(['id', 'status', 'size', 'availability_zone', 'created_at', 'updated_at', 'name', 'display_name', 'bootable', 'volume_type_id', 'project_id', 'user_id', 'description', 'display_description', 'host', 'multiattach']);

function sortValue(v: Volume, key: string): string | number | boolean | null {
  switch (key) {
    case 'name':
    case 'display_name':
      return v.name;
    case 'description':
    case 'display_description':
      return v.description;
    case 'size':
      return v.size;
    case 'status':
      return v.status;
    case 'availability_zone':
      return v.availabilityZone;
    case 'created_at':
      return v.createdAt;
    case 'updated_at':
      return v.updatedAt;
    case 'bootable':
      return v.bootable ? 1 : 0;
    case 'volume_type_id':
      return v.volumeTypeId;
    case 'project_id':
      return v.projectId;
    case 'user_id':
      return v.userId;
    case 'host':
      return v.host;
    case 'multiattach':
      return v.multiattach ? 1 : 0;
    default:
      return v.id;
  }
}

/** A deterministic attachment id for the legacy os-initialize_connection flow (one per volume and connector host). */
export function legacyAttachmentId(volumeId: string, connector: Connector): string {
  const h = createHash('sha1').update(`${volumeId}/${String(connector.host ?? connector.ip ?? '')}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Business rules for volumes. */
export class VolumeApi {
  readonly volumes: VolumeStore;
  readonly snapshots: SnapshotStore;
  readonly types: VolumeTypeStore;
  readonly attachments: AttachmentStore;
  readonly services: ServiceStore;
  readonly transfers: TransferStore;
  readonly quotas: QuotaEngine;
  readonly config: BlockStorageApiConfig;
  readonly #scheduler: SchedulerRpcClient;
  readonly #rpc: VolumeRpcClient;
  readonly #images: ImageGateway;
  readonly #log: Logger;
  readonly #tracer: Tracer | undefined;
  readonly #db: Kysely<BlockStorageDatabase>;
  readonly #groups: GroupStore;
  /** Volumes whose create was traced and whose completion is awaited (FLOW.md steps 49–50). */
  readonly #awaiting = new Map<string, { traceId: string; received: boolean; answered: boolean }>();

  constructor(opts: VolumeApiOptions) {
    this.#db = opts.db;
    this.#groups = new GroupStore(opts.db);
    this.volumes = new VolumeStore(opts.db);
    this.snapshots = new SnapshotStore(opts.db);
    this.types = new VolumeTypeStore(opts.db);
    this.attachments = new AttachmentStore(opts.db);
    this.services = new ServiceStore(opts.db);
    this.transfers = new TransferStore(opts.db);
    this.quotas = opts.quotas;
    this.config = opts.config;
    this.#scheduler = opts.scheduler;
    this.#rpc = opts.volumeRpc;
    this.#images = opts.images;
    this.#log = opts.logger.child({ component: 'cinder-api' });
    this.#tracer = opts.tracer;
  }

  /** The volume if the caller may see it; 404 otherwise (also for ids that are not UUIDs). */
  async get(ctx: RequestContext, id: string): Promise<Volume> {
    const v = isUuidLike(id) ? await this.volumes.find(id) : undefined;
    if (v === undefined || !visibleTo(ctx, v.projectId)) throw new VolumeNotFound(id);
    return v;
  }

  /** Names of every volume type (for per-type quota resources). */
  async typeNames(): Promise<string[]> {
    return (await this.types.list()).map((t) => t.name);
  }

  /** Resolve the type a new volume gets: asked for, the source's, the project's default, or the configured default. */
  async #resolveType(ctx: RequestContext, asked: string | undefined, sourceTypeId: string | undefined): Promise<VolumeType> {
    if (asked !== undefined && asked !== '') {
      const t = await this.types.getByIdOrName(asked);
      if (!(await this.types.canUse(t, ctx.projectId)) && !ctx.isAdmin) throw new NotFound(`Volume type with name ${asked} could not be found.`, { name: asked }, 'VolumeTypeNotFoundByName');
      return t;
    }
    if (sourceTypeId !== undefined) {
      const t = await this.types.find(sourceTypeId);
      if (t !== undefined) return t;
    }
    const projectDefault = ctx.projectId === undefined ? undefined : await this.types.projectDefault(ctx.projectId);
    if (projectDefault !== undefined) {
      const t = await this.types.find(projectDefault);
      if (t !== undefined) return t;
    }
    return (await this.types.findByName(this.config.defaultVolumeType)) ?? (await this.types.getByIdOrName(DEFAULT_VOLUME_TYPE));
  }

  /** Zones with at least one live cinder-volume (and the configured default zone). */
  async availabilityZones(): Promise<Array<{ name: string; available: boolean }>> {
    const now = Date.now();
    const zones = new Map<string, boolean>();
    for (const s of await this.services.list({ binary: 'cinder-volume' })) {
      const up = serviceIsUp(s, this.config.serviceDownTimeMs, now) && !s.disabled;
      zones.set(s.availabilityZone, (zones.get(s.availabilityZone) ?? false) || up);
    }
    if (zones.size === 0) zones.set(this.config.defaultAvailabilityZone, true);
    return [...zones.entries()].map(([name, available]) => ({ name, available }));
  }

  /** POST /volumes: validate, consume quota, write the row, cast to the scheduler (FLOW.md step 41). */
  async create(ctx: RequestContext, req: VolumeCreateRequest): Promise<Volume> {
    let size = req.size;
    let sourceTypeId: string | undefined;
    let sourceAz: string | undefined;
    let resourceBackend: string | null = null;
    let image: GlanceImage | undefined;
    if ([req.snapshotId, req.sourceVolid, req.imageRef].filter((x) => x !== undefined).length > 1) {
      throw new BadRequest('Only one of snapshot_id, source_volid and imageRef may be given.', {}, 'InvalidInput');
    }
    if (req.snapshotId !== undefined) {
      const s = isUuidLike(req.snapshotId) ? await this.snapshots.find(req.snapshotId) : undefined;
      if (s === undefined || !visibleTo(ctx, s.projectId)) throw new NotFound(`Snapshot ${req.snapshotId} could not be found.`, { snapshotId: req.snapshotId }, 'SnapshotNotFound');
      if (s.status !== 'available') throw new BadRequest(`Invalid snapshot: Originating snapshot status must be one of 'available' values`, { snapshotId: s.id }, 'InvalidSnapshot');
      size ??= s.volumeSize;
      if (size < s.volumeSize) throw new BadRequest(`Invalid input received: Volume size '${size}'GB cannot be smaller than the snapshot size ${s.volumeSize}GB. They must be >= original snapshot size.`, {}, 'InvalidInput');
      const src = await this.volumes.find(s.volumeId);
      sourceTypeId = s.volumeTypeId;
      sourceAz = src?.availabilityZone;
      resourceBackend = src?.host ?? null;
    } else if (req.sourceVolid !== undefined) {
      const src = isUuidLike(req.sourceVolid) ? await this.volumes.find(req.sourceVolid) : undefined;
      if (src === undefined || !visibleTo(ctx, src.projectId)) throw new VolumeNotFound(req.sourceVolid);
      if (!['available', 'in-use'].includes(src.status)) throw new BadRequest(`Invalid volume: Unable to clone volumes that are in an error state or still being created (status ${src.status}).`, { volumeId: src.id }, 'InvalidVolume');
      size ??= src.size;
      if (size < src.size) throw new BadRequest(`Invalid input received: Volume size '${size}'GB cannot be smaller than original volume size ${src.size}GB. They must be >= original volume size.`, {}, 'InvalidInput');
      sourceTypeId = src.volumeTypeId;
      sourceAz = src.availabilityZone;
      resourceBackend = src.host;
    } else if (req.imageRef !== undefined) {
      image = await this.#images.getImage(ctx.authToken, req.imageRef, ctx.globalRequestId);
      if (image.status !== 'active') throw new BadRequest(`Invalid image identifier or unable to access requested image. Image ${image.id} is not active (status ${image.status}).`, { imageId: image.id }, 'InvalidImage');
      const imageBytes = Math.max(image.size ?? 0, image.virtual_size ?? 0);
      const minGb = Math.max(Math.ceil(imageBytes / 1024 ** 3), image.min_disk ?? 0, 1);
      size ??= minGb;
      if (image.size !== null && image.size > size * 1024 ** 3) throw new BadRequest(`Invalid input received: Size of specified image ${Math.ceil(image.size / 1024 ** 3)}GB is larger than volume size ${size}GB.`, {}, 'InvalidInput');
      if ((image.min_disk ?? 0) > size) throw new BadRequest(`Invalid input received: Volume size ${size}GB cannot be smaller than the image minDisk size ${image.min_disk}GB.`, {}, 'InvalidInput');
    }
    if (size === undefined) throw new BadRequest('Invalid input received: Size of the volume must be given unless creating from a snapshot, volume or image.', {}, 'InvalidInput');
    if (size > DB_MAX_INT) throw new BadRequest(`Invalid input received: size must be at most ${DB_MAX_INT}.`, {}, 'InvalidInput');

    const type = await this.#resolveType(ctx, req.volumeType, sourceTypeId);
    if (sourceTypeId !== undefined && req.volumeType !== undefined && type.id !== sourceTypeId && req.snapshotId !== undefined) {
      throw new BadRequest('Invalid input received: Volume type must match the type of the snapshot it is created from.', {}, 'InvalidInput');
    }
    if (req.groupId !== undefined) {
      const group = isUuidLike(req.groupId) ? await this.#groups.findGroup(req.groupId) : undefined;
      if (group === undefined || !visibleTo(ctx, group.projectId)) throw new NotFound(`Group ${req.groupId} could not be found.`, { groupId: req.groupId }, 'GroupNotFound');
      if (group.status !== 'available') throw new BadRequest(`Invalid group: Group ${group.id} status must be available.`, {}, 'InvalidGroup');
      if (!group.volumeTypeIds.includes(type.id)) throw new BadRequest(`Invalid input received: Invalid volume type ${type.name} for group ${group.id}.`, {}, 'InvalidInput');
    }
    const zones = await this.availabilityZones();
    let az = req.availabilityZone ?? sourceAz ?? this.config.defaultAvailabilityZone;
    if (req.availabilityZone !== undefined && !zones.some((z) => z.name === req.availabilityZone)) {
      throw new BadRequest(`Invalid input received: Availability zone '${req.availabilityZone}' is invalid.`, { availabilityZone: req.availabilityZone }, 'InvalidAvailabilityZone');
    }
    if (sourceAz !== undefined && req.availabilityZone !== undefined && req.availabilityZone !== sourceAz) {
      throw new BadRequest('Invalid input received: Availability zone must be the same as the source.', {}, 'InvalidInput');
    }
    if (!zones.some((z) => z.name === az) && zones[0] !== undefined) az = zones[0].name;
    const multiattach = /<is>\s*true/i.test(type.extraSpecs.multiattach ?? '');

    const projectId = ctx.projectId ?? '';
    const typeNames = await this.typeNames();
    const limits = await this.quotas.limits(projectId, typeNames);
    const perVolume = limits.per_volume_gigabytes ?? -1;
    if (perVolume >= 0 && size > perVolume) throw new OverLimit(`Requested volume size ${size}G is larger than maximum allowed limit ${perVolume}G.`, { size, limit: perVolume }, 'VolumeSizeExceedsLimit');
    const deltas = volumeDeltas(size, type.name);
    await this.quotas.consume(projectId, deltas, typeNames);

    const id = newId();
    let volume: Volume;
    try {
      volume = await this.volumes.create({
        id,
        projectId,
        userId: ctx.userId,
        name: req.name,
        description: req.description,
        size,
        status: 'creating',
        availabilityZone: az,
        volumeTypeId: type.id,
        snapshotId: req.snapshotId ?? null,
        sourceVolid: req.sourceVolid ?? null,
        groupId: req.groupId ?? null,
        multiattach,
        bootable: false,
        imageMetadata: {},
      });
      if (Object.keys(req.metadata).length > 0) await writeMetadata(this.#db, 'volume_metadata', id, req.metadata, false);
    } catch (err) {
      await this.quotas.release(projectId, deltas);
      await this.volumes.remove(id).catch(() => undefined);
      throw err;
    }

    let imageRequest: ImageRequest | null = null;
    if (image !== undefined) {
      const base = await this.#images.endpoint(ctx.authToken);
      imageRequest = {
        id: image.id,
        diskFormat: image.disk_format ?? 'raw',
        containerFormat: image.container_format ?? 'bare',
        endpoint: base,
        authToken: ctx.authToken,
        properties: imageProperties(image),
      };
    }
    const spec: RequestSpec = {
      volumeId: id,
      projectId,
      size,
      volumeTypeId: type.id,
      volumeTypeName: type.name,
      extraSpecs: type.extraSpecs,
      availabilityZone: az,
      snapshotId: req.snapshotId ?? null,
      sourceVolid: req.sourceVolid ?? null,
      resourceBackend,
      multiattach,
      image: imageRequest,
    };
    const traceId = ctx.globalRequestId ?? ctx.requestId;
    const trace = this.#tracer?.begin(traceId);
    const started = Date.now();
    try {
      await this.#scheduler.createVolume(rpcContext(ctx, 41), spec);
    } catch (err) {
      await this.volumes.update(id, { status: 'error' });
      trace?.record({ step: 41, component: 'cinder-api', kind: 'rpc', startedAt: started, durationMs: Date.now() - started, outcome: 'error', detail: (err as Error).message });
      throw err;
    }
    trace?.record({ step: 41, component: 'cinder-api', kind: 'rpc', startedAt: started, durationMs: Date.now() - started, outcome: 'ok', detail: `cast createVolume ${id} to cinder-scheduler` });
    if (this.#tracer !== undefined) {
      this.#awaiting.set(id, { traceId, received: false, answered: false });
      if (this.#awaiting.size > 10_000) this.#awaiting.delete(this.#awaiting.keys().next().value as string);
    }
    this.#log.info({ volumeId: id, size, type: type.name, requestId: ctx.requestId }, 'volume create accepted');
    return { ...volume, metadata: { ...req.metadata } };
  }

  /** cinder-volume said a create finished (FLOW.md step 49); the next read that shows it answers the caller (step 50). */
  volumeCreated(volumeId: string, status: string): void {
    const entry = this.#awaiting.get(volumeId);
    if (entry === undefined || entry.received || this.#tracer === undefined) return;
    entry.received = true;
    this.#tracer.begin(entry.traceId).record({ step: 49, component: 'cinder-api', kind: 'rpc', startedAt: Date.now(), durationMs: 0, outcome: status === 'error' ? 'error' : 'ok', detail: `volume ${volumeId} ${status}` });
    if (entry.answered) this.#awaiting.delete(volumeId);
  }

  /** Record FLOW.md step 50 the first time a finished volume is shown to its creator. */
  answered(v: Volume): void {
    if (v.status === 'creating' || v.status === 'downloading') return;
    const entry = this.#awaiting.get(v.id);
    if (entry === undefined || entry.answered || this.#tracer === undefined) return;
    entry.answered = true;
    if (entry.received) this.#awaiting.delete(v.id);
    this.#tracer.begin(entry.traceId).record({ step: 50, component: 'cinder-api', kind: 'http', startedAt: Date.now(), durationMs: 0, outcome: v.status === 'available' ? 'ok' : 'error', detail: `volume ${v.id} is ${v.status}` });
  }

  /** GET /volumes[/detail]: filter, sort and page as cinder does. */
  async list(ctx: RequestContext, q: VolumeListQuery): Promise<{ items: Volume[]; count: number }> {
    const filter: VolumeFilter = ctx.isAdmin && q.allTenants ? q.filter : { ...q.filter, projectId: ctx.projectId ?? '' };
    const all = await this.volumes.list(filter);
    const sorted = sortBy(all, q.sort, sortValue);
    const { items } = page(sorted, { marker: q.marker, limit: q.limit, offset: q.offset });
    return { items, count: all.length };
  }

  /** Lookups views need for these volumes. */
  async viewData(volumes: readonly Volume[]): Promise<{ types: Map<string, VolumeType>; attachments: Map<string, Attachment[]> }> {
    return {
      types: await this.types.byIds(volumes.map((v) => v.volumeTypeId)),
      attachments: await this.attachments.forVolumes(volumes.map((v) => v.id)),
    };
  }

  /** PUT /volumes/{id}: name, description and metadata. */
  async update(ctx: RequestContext, id: string, set: { name?: string | null; description?: string | null; metadata?: Metadata }): Promise<Volume> {
    const v = await this.get(ctx, id);
    const values: Record<string, string | null> = {};
    if (set.name !== undefined) values.display_name = set.name;
    if (set.description !== undefined) values.display_description = set.description;
    await this.volumes.update(v.id, values);
    if (set.metadata !== undefined) await writeMetadata(this.#db, 'volume_metadata', v.id, set.metadata, false);
    return this.volumes.get(v.id);
  }

  /** DELETE /volumes/{id} (and os-force_delete): the status rules of cinder's delete, then a cast. */
  async delete(ctx: RequestContext, id: string, opts: { cascade: boolean; force: boolean; fromGroup?: boolean }): Promise<void> {
    const v = await this.get(ctx, id);
    if (v.host === null) {
      // Never scheduled: nothing on a backend to remove (cinder deletes the row here).
      const type = await this.types.find(v.volumeTypeId);
      await this.volumes.remove(v.id);
      if (v.useQuota) await this.quotas.release(v.projectId, volumeDeltas(v.size, type?.name ?? ''));
      return;
    }
    const expected = opts.force ? undefined : ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];
    const snapshots = await this.snapshots.list({ volumeId: v.id });
    const attached = (await this.attachments.list({ volumeId: v.id })).some((a) => a.attachStatus === 'attached');
    const pending = await this.transfers.pendingForVolume(v.id);
    const problem =
      (expected !== undefined && !expected.includes(v.status)) ||
      (!opts.force && (v.attachStatus === 'attached' || attached)) ||
      v.migrationStatus !== null ||
      (v.groupId !== null && opts.fromGroup !== true) ||
      pending !== undefined ||
      (snapshots.length > 0 && !opts.cascade) ||
        (opts.cascade && !opts.force && snapshots.some((s) => !['available', 'error', 'deleting'].includes(s.status)));
    const changed = !problem && (await this.volumes.update(v.id, { status: 'deleting', terminated_at: nowIso() }, { ...(expected !== undefined ? { status: expected } : {}) }));
    if (!changed) {
      const statusText = expected === undefined ? '' : `status must be ${expected.join(' or ')} and `;
      throw new BadRequest(`Invalid volume: Volume ${statusText}must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.`, { volumeId: v.id }, 'InvalidVolume');
    }
    if (opts.cascade) for (const s of snapshots) await this.snapshots.update(s.id, { status: 'deleting' });
    await this.#rpc.deleteVolume(rpcContext(ctx), v.host, v.id, opts.cascade);
  }

  /** os-extend: available (or in-use from 3.42 when the backend can) → extending, quota for the growth, then the scheduler checks capacity. */
  async extend(ctx: RequestContext, id: string, newSize: number, attachedAllowed: boolean): Promise<void> {
    const v = await this.get(ctx, id);
    const from = attachedAllowed && v.status === 'in-use' ? ['in-use'] : ['available'];
    if (!from.includes(v.status)) throw new BadRequest(`Invalid volume: Volume ${v.id} status must be ${from.join(' or ')} to extend, but current status is: ${v.status}.`, { volumeId: v.id }, 'InvalidVolume');
    if (v.status === 'in-use') {
      const pool = (await this.services.pools()).find((p) => `${p.backend}#${p.pool}` === v.host);
      if (pool?.capabilities.online_extend_support !== true) throw new BadRequest('Invalid volume: the volume backend cannot extend attached volumes.', { volumeId: v.id }, 'InvalidVolume');
    }
    if (newSize <= v.size) throw new BadRequest(`Invalid input received: New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`, {}, 'InvalidInput');
    if (v.host === null) throw new BadRequest('Invalid volume: the volume is not placed on a backend.', {}, 'InvalidVolume');
    const type = await this.types.find(v.volumeTypeId);
    const limits = await this.quotas.limits(v.projectId, [type?.name ?? '']);
    const perVolume = limits.per_volume_gigabytes ?? -1;
    if (perVolume >= 0 && newSize > perVolume) throw new OverLimit(`Requested volume size ${newSize}G is larger than maximum allowed limit ${perVolume}G.`, {}, 'VolumeSizeExceedsLimit');
    const changed = await this.volumes.update(v.id, { status: 'extending', previous_status: v.status }, { status: from });
    if (!changed) throw new BadRequest(`Invalid volume: Volume ${v.id} status must be ${from.join(' or ')} to extend.`, {}, 'InvalidVolume');
    const delta = newSize - v.size;
    try {
      await this.quotas.consume(v.projectId, { gigabytes: delta, [`gigabytes_${type?.name ?? ''}`]: delta }, [type?.name ?? '']);
    } catch (err) {
      await this.volumes.update(v.id, { status: v.status, previous_status: null }, { status: ['extending'] });
      throw err;
    }
    await this.#scheduler.extendVolume(rpcContext(ctx), v.id, newSize);
  }

  /** os-retype: change the type when the volume's backend satisfies it (the scheduler decides; migration is not supported). */
  async retype(ctx: RequestContext, id: string, newType: string, migrationPolicy: 'never' | 'on-demand'): Promise<void> {
    const v = await this.get(ctx, id);
    const type = await this.types.getByIdOrName(newType);
    if (!ctx.isAdmin && !(await this.types.canUse(type, ctx.projectId))) throw new NotFound(`Volume type with name ${newType} could not be found.`, {}, 'VolumeTypeNotFoundByName');
    if (type.id === v.volumeTypeId) throw new BadRequest('Invalid input received: New volume type must be different from the volume type of the volume.', {}, 'InvalidInput');
    if (!['available', 'in-use'].includes(v.status)) throw new BadRequest(`Invalid volume: Volume ${v.id} status must be available or in-use, but current status is: ${v.status}.`, {}, 'InvalidVolume');
    if ((await this.snapshots.countForVolume(v.id)) > 0 && migrationPolicy === 'on-demand') {
      throw new BadRequest('Invalid volume: Volume must not have snapshots to be migrated.', {}, 'InvalidVolume');
    }
    const deltas = { [`volumes_${type.name}`]: 1, [`gigabytes_${type.name}`]: v.size };
    await this.quotas.consume(v.projectId, deltas, await this.typeNames());
    if (!(await this.volumes.update(v.id, { status: 'retyping', previous_status: v.status }, { status: ['available', 'in-use'] }))) {
      await this.quotas.release(v.projectId, deltas);
      throw new BadRequest(`Invalid volume: Volume ${v.id} status must be available or in-use to retype.`, {}, 'InvalidVolume');
    }
    await this.#scheduler.retypeVolume(rpcContext(ctx), v.id, type.id, migrationPolicy);
  }

  /** os-reset_status (admin): set status, attach status and migration status as asked. */
  async resetStatus(ctx: RequestContext, id: string, body: { status?: string; attach_status?: string; migration_status?: string }): Promise<void> {
    const v = await this.get(ctx, id);
    const set: Record<string, string | null> = {};
    if (body.status !== undefined) {
      if (!(VOLUME_STATUSES as readonly string[]).includes(body.status)) throw new BadRequest(`Invalid input received: Must specify a valid status (got ${body.status}).`, {}, 'InvalidInput');
      set.status = body.status;
    }
    if (body.attach_status !== undefined) {
      if (!['attached', 'detached'].includes(body.attach_status)) throw new BadRequest(`Invalid input received: Must specify a valid attach status (got ${body.attach_status}).`, {}, 'InvalidInput');
      set.attach_status = body.attach_status;
    }
    if (body.migration_status !== undefined) {
      if (!['migrating', 'error', 'success', 'completing', 'none', 'starting'].includes(body.migration_status)) throw new BadRequest(`Invalid input received: Must specify a valid migration status (got ${body.migration_status}).`, {}, 'InvalidInput');
      set.migration_status = body.migration_status === 'none' ? null : body.migration_status;
    }
    if (Object.keys(set).length === 0) throw new BadRequest('Invalid input received: Must specify status, attach_status or migration_status.', {}, 'InvalidInput');
    await this.volumes.update(v.id, set);
    if (body.attach_status === 'detached') await this.attachments.removeForVolume(v.id);
  }

  /** os-set_bootable. */
  async setBootable(ctx: RequestContext, id: string, bootable: boolean): Promise<void> {
    const v = await this.get(ctx, id);
    await this.volumes.update(v.id, { bootable });
  }

  /** os-update_readonly_flag: only while available. */
  async setReadonly(ctx: RequestContext, id: string, readonly: boolean): Promise<void> {
    const v = await this.get(ctx, id);
    if (v.status !== 'available') throw new BadRequest(`Invalid volume: Volume ${v.id} status must be available to update readonly flag, but current status is: ${v.status}.`, {}, 'InvalidVolume');
    await this.volumes.setAdminMetadata(v.id, { readonly: readonly ? 'True' : 'False' });
  }

  /** os-volume_upload_image: create the glance image, mark the volume uploading, cast the copy. */
  async uploadToImage(ctx: RequestContext, id: string, params: { imageName: string; force: boolean; diskFormat: string; containerFormat: string; visibility?: string; protected?: boolean }): Promise<Record<string, unknown>> {
    const v = await this.get(ctx, id);
    const allowed = params.force ? ['available', 'in-use'] : ['available'];
    if (v.host === null) throw new BadRequest('Invalid volume: the volume is not placed on a backend.', {}, 'InvalidVolume');
    const changed = await this.volumes.update(v.id, { status: 'uploading', previous_status: v.status }, { status: allowed });
    if (!changed) throw new BadRequest(`Invalid volume: Volume ${v.id} status must be ${allowed.join(' or ')}`, { volumeId: v.id }, 'InvalidVolume');
    let image: GlanceImage;
    try {
      const body: Record<string, unknown> = { name: params.imageName, disk_format: params.diskFormat, container_format: params.containerFormat };
      if (params.visibility !== undefined) body.visibility = params.visibility;
      if (params.protected !== undefined) body.protected = params.protected;
      for (const [k, val] of Object.entries(v.imageMetadata)) {
        if (!['id', 'name', 'size', 'checksum', 'status', 'disk_format', 'container_format', 'visibility', 'protected', 'owner', 'created_at', 'updated_at', 'file', 'schema', 'self', 'os_hash_algo', 'os_hash_value', 'virtual_size', 'direct_url', 'locations', 'image_id', 'image_name', 'tags', 'stores'].includes(k) && !k.startsWith('os_glance') && !(k in body)) {
          body[k] = val;
        }
      }
      image = await this.#images.createImage(ctx.authToken, body, ctx.globalRequestId);
    } catch (err) {
      await this.volumes.update(v.id, { status: v.status, previous_status: null }, { status: ['uploading'] });
      throw err;
    }
    const base = await this.#images.endpoint(ctx.authToken);
    await this.#rpc.copyVolumeToImage(rpcContext(ctx), v.host, v.id, { id: image.id, diskFormat: params.diskFormat, endpoint: base, authToken: ctx.authToken });
    const type = await this.types.find(v.volumeTypeId);
    const response: Record<string, unknown> = {
      id: v.id,
      updated_at: v.updatedAt,
      status: 'uploading',
      display_description: v.description,
      size: v.size,
      volume_type: type === undefined ? null : { id: type.id, name: type.name, description: type.description, is_public: type.isPublic, extra_specs: type.extraSpecs, qos_specs_id: type.qosSpecsId, deleted: false, created_at: type.createdAt, updated_at: type.updatedAt, deleted_at: null },
      image_id: image.id,
      container_format: image.container_format,
      disk_format: image.disk_format,
      image_name: image.name,
    };
    if (params.protected !== undefined) response.protected = image.protected;
    if (params.visibility !== undefined) response.visibility = image.visibility;
    return response;
  }

  /** os-reimage (3.68): rewrite the volume with an image. */
  async reimage(ctx: RequestContext, id: string, imageId: string, reimageReserved: boolean): Promise<void> {
    const v = await this.get(ctx, id);
    const allowed = reimageReserved ? ['available', 'error', 'reserved'] : ['available', 'error'];
    const image = await this.#images.getImage(ctx.authToken, imageId, ctx.globalRequestId);
    if (image.status !== 'active') throw new BadRequest(`Image ${image.id} is not active.`, {}, 'InvalidImage');
    if ((image.size ?? 0) > v.size * 1024 ** 3 || (image.min_disk ?? 0) > v.size) throw new BadRequest(`Invalid input received: Volume size must be greater than the image size.`, {}, 'InvalidInput');
    if (v.host === null) throw new BadRequest('Invalid volume: the volume is not placed on a backend.', {}, 'InvalidVolume');
    const changed = await this.volumes.update(v.id, { status: 'downloading', previous_status: v.status === 'reserved' ? 'reserved' : 'available' }, { status: allowed });
    if (!changed) throw new BadRequest(`Invalid volume: Volume status must be ${allowed.join(' or ')} to reimage.`, {}, 'InvalidVolume');
    const base = await this.#images.endpoint(ctx.authToken);
    await this.#rpc.reimageVolume(rpcContext(ctx), v.host, v.id, { id: image.id, diskFormat: image.disk_format ?? 'raw', containerFormat: image.container_format ?? 'bare', endpoint: base, authToken: ctx.authToken, properties: imageProperties(image) });
  }

  /** revert (3.40): only to the volume's latest snapshot, both available. */
  async revert(ctx: RequestContext, id: string, snapshotId: string): Promise<void> {
    const v = await this.get(ctx, id);
    const snaps = await this.snapshots.list({ volumeId: v.id });
    const s = snaps.find((x) => x.id === snapshotId);
    if (s === undefined) throw new NotFound(`Snapshot ${snapshotId} could not be found.`, {}, 'SnapshotNotFound');
    const latest = [...snaps].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
    if (latest?.id !== s.id) throw new BadRequest(`Invalid snapshot: Cannot revert volume ${v.id} to snapshot ${s.id}: it is not the latest snapshot.`, {}, 'InvalidSnapshot');
    if (v.size !== s.volumeSize) throw new BadRequest(`Invalid volume: Volume ${v.id} has been extended after the snapshot.`, {}, 'InvalidVolume');
    if (v.host === null) throw new BadRequest('Invalid volume: the volume is not placed on a backend.', {}, 'InvalidVolume');
    if (!(await this.volumes.update(v.id, { status: 'reverting' }, { status: ['available'] }))) {
      throw new BadRequest(`Invalid volume: Can't revert volume ${v.id} to its latest snapshot ${s.id}. Volume's status must be 'available'.`, {}, 'InvalidVolume');
    }
    if (!(await this.snapshots.update(s.id, { status: 'restoring' }, ['available']))) {
      await this.volumes.update(v.id, { status: 'available' }, { status: ['reverting'] });
      throw new BadRequest(`Invalid snapshot: Can't revert volume ${v.id} to its latest snapshot ${s.id}. Snapshot's status must be 'available'.`, {}, 'InvalidSnapshot');
    }
    await this.#rpc.revertToSnapshot(rpcContext(ctx), v.host, v.id, s.id);
  }

  /** Volume metadata: all of it. */
  async metadata(ctx: RequestContext, id: string): Promise<Record<string, string>> {
    const v = await this.get(ctx, id);
    return (await readMetadata(this.#db, 'volume_metadata', [v.id])).get(v.id) ?? {};
  }

  /** Set metadata: replace all (`replace`) or merge keys. */
  async setMetadata(ctx: RequestContext, id: string, metadata: Metadata, replace: boolean): Promise<Record<string, string>> {
    const v = await this.get(ctx, id);
    return writeMetadata(this.#db, 'volume_metadata', v.id, metadata, !replace);
  }

  /** Remove one metadata key; 404 when it is not there. */
  async deleteMetadataKey(ctx: RequestContext, id: string, key: string): Promise<void> {
    const v = await this.get(ctx, id);
    if (!(await deleteMetadataKey(this.#db, 'volume_metadata', v.id, key))) throw new NotFound(`Metadata item was not found`, { key }, 'MetadataItemNotFound');
  }

  /** os-set_image_metadata / os-unset_image_metadata. */
  async setImageMetadata(ctx: RequestContext, id: string, metadata: Metadata): Promise<Record<string, string>> {
    const v = await this.get(ctx, id);
    const next = { ...v.imageMetadata, ...metadata };
    await this.volumes.setImageMetadata(v.id, next);
    return next;
  }

  async unsetImageMetadata(ctx: RequestContext, id: string, key: string): Promise<void> {
    const v = await this.get(ctx, id);
    if (!(key in v.imageMetadata)) throw new NotFound(`Glance metadata for volume ${v.id} not found.`, { key }, 'GlanceMetadataNotFound');
    const next = { ...v.imageMetadata };
    delete next[key];
    await this.volumes.setImageMetadata(v.id, next);
  }

  /** volumes/summary (3.12): count, total size, and (3.36) the distinct metadata. */
  async summary(ctx: RequestContext, allTenants: boolean): Promise<{ count: number; size: number; metadata: Record<string, string[]> }> {
    const list = await this.volumes.list(ctx.isAdmin && allTenants ? {} : { projectId: ctx.projectId ?? '' });
    const metadata: Record<string, string[]> = {};
    for (const v of list) {
      for (const [k, val] of Object.entries(v.metadata)) {
        const values = (metadata[k] ??= []);
        if (!values.includes(val)) values.push(val);
      }
    }
    return { count: list.length, size: list.reduce((n, v) => n + v.size, 0), metadata };
  }

  /** The connection info of a volume for a connector, from its cinder-volume. */
  async initializeConnection(ctx: RequestContext, v: Volume, connector: Connector, attachmentId: string): Promise<ConnectionInfo> {
    if (v.host === null) throw new BadRequest('Invalid volume: the volume is not placed on a backend.', {}, 'InvalidVolume');
    return this.#rpc.initializeConnection(rpcContext(ctx), v.host, v.id, connector, attachmentId);
  }

  /** Tear down one attachment's export. */
  async terminateConnection(ctx: RequestContext, v: Volume, attachmentId: string): Promise<void> {
    if (v.host === null) return;
    await this.#rpc.terminateConnection(rpcContext(ctx), v.host, v.id, attachmentId);
  }

  /** Record the admin metadata of an attachment's mode. */
  async setAttachedMode(volumeId: string, mode: string): Promise<void> {
    const v = await this.volumes.get(volumeId);
    await this.volumes.update(volumeId, { admin_metadata: jsonColumn({ ...v.adminMetadata, attached_mode: mode }) });
  }
}

/** The image properties cinder copies into volume_image_metadata. */
function imageProperties(image: GlanceImage): Record<string, string> {
  const out: Record<string, string> = { image_id: image.id };
  if (image.name !== null) out.image_name = image.name;
  for (const k of ['checksum', 'container_format', 'disk_format', 'min_disk', 'min_ram', 'size'] as const) {
    const val = image[k];
    if (val !== null && val !== undefined) out[k] = String(val);
  }
  const reserved = new Set(['id', 'name', 'status', 'visibility', 'protected', 'owner', 'created_at', 'updated_at', 'file', 'schema', 'self', 'tags', 'locations', 'direct_url', 'virtual_size', 'os_hash_algo', 'os_hash_value', 'os_hidden', 'stores']);
  for (const [k, val] of Object.entries(image)) {
    if (reserved.has(k) || k in out || k.startsWith('os_glance')) continue;
    if (typeof val === 'string') out[k] = val;
  }
  return out;
}

/** Parse the `created_at`/`updated_at` filters of 3.60 (`gt:2020-01-01T00:00:00`). */
export function parseTimeFilter(value: string, field: string): TimeComparison[] {
  return value.split(',').map((part) => {
    const m = /^(gt|gte|lt|lte|eq|neq):(.+)$/.exec(part.trim());
    if (m === null) throw new BadRequest(`Invalid input received: Invalid filter ${field}=${value}: expected <op>:<timestamp> with op gt, gte, lt, lte, eq or neq.`, {}, 'InvalidInput');
    const d = new Date(/Z|[+-]\d\d:?\d\d$/.test(m[2] as string) ? (m[2] as string) : `${m[2] as string}Z`);
    if (Number.isNaN(d.getTime())) throw new BadRequest(`Invalid input received: Invalid timestamp in ${field}=${value}.`, {}, 'InvalidInput');
    return { op: m[1] as TimeComparison['op'], value: d.toISOString() };
  });
}

