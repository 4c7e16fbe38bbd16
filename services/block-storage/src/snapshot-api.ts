/** SnapshotApi: snapshots' business rules (cinder/volume/api.py's snapshot half): status checks, quota, then a cast to the volume's backend. */
import type { Kysely } from 'kysely';
import type { RequestContext } from '@strata/auth';
import { BadRequest, NotFound } from '@strata/errors';
import { isUuidLike, rpcContext, visibleTo } from './api-support.js';
import type { BlockStorageDatabase } from './db/schema.js';
import { deleteMetadataKey, newId, page, readMetadata, sortBy, writeMetadata, type Metadata, type SortKey } from './objects/common.js';
import { snapshotDeltas } from './objects/quota.js';
import { SnapshotNotFound, type Snapshot, type SnapshotFilter } from './objects/snapshot.js';
import type { VolumeApi } from './volume-api.js';
import type { VolumeRpcClient } from './volume/volume-rpc.js';

/** Statuses os-reset_status accepts for snapshots. */
export const SNAPSHOT_STATUSES = ['creating', 'available', 'deleting', 'error', 'error_deleting', 'unmanaging', 'backing-up', 'restoring'];

/** Sort keys cinder accepts for snapshots. */
export const SNAPSHOT_SORT_KEYS = new Set(['id', 'status', 'created_at', 'updated_at', 'name', 'display_name', 'size', 'volume_size', 'volume_id', 'project_id', 'user_id', 'description', 'display_description']);

function sortValue(s: Snapshot, key: string): string | number | null {
  switch (key) {
    case 'name':
    case 'display_name':
      return s.name;
    case 'description':
    case 'display_description':
      return s.description;
    case 'status':
      return s.status;
    case 'created_at':
      return s.createdAt;
    case 'updated_at':
      return s.updatedAt;
    case 'size':
    case 'volume_size':
      return s.volumeSize;
    case 'volume_id':
      return s.volumeId;
    case 'project_id':
      return s.projectId;
    case 'user_id':
      return s.userId;
    default:
      return s.id;
  }
}

/** Business rules for snapshots. */
export class SnapshotApi {
  readonly #api: VolumeApi;
  readonly #rpc: VolumeRpcClient;
  readonly #db: Kysely<BlockStorageDatabase>;

  constructor(api: VolumeApi, rpc: VolumeRpcClient, db: Kysely<BlockStorageDatabase>) {
    this.#api = api;
    this.#rpc = rpc;
    this.#db = db;
  }

  /** The snapshot if the caller may see it; 404 otherwise. */
  async get(ctx: RequestContext, id: string): Promise<Snapshot> {
    const s = isUuidLike(id) ? await this.#api.snapshots.find(id) : undefined;
    if (s === undefined || !visibleTo(ctx, s.projectId)) throw new SnapshotNotFound(id);
    return s;
  }

  /** POST /snapshots: the volume must be available (in-use with force, or from 3.66), quota, then cast. */
  async create(ctx: RequestContext, req: { volumeId: string; name: string | null; description: string | null; metadata: Metadata; force: boolean; inUseAllowed: boolean; groupSnapshotId?: string }): Promise<Snapshot> {
    const v = isUuidLike(req.volumeId) ? await this.#api.volumes.find(req.volumeId) : undefined;
    if (v === undefined || !visibleTo(ctx, v.projectId)) throw new NotFound(`Volume ${req.volumeId} could not be found.`, { volumeId: req.volumeId }, 'VolumeNotFound');
    if (v.status === 'maintenance') throw new BadRequest('Invalid volume: The snapshot cannot be created when the volume is in maintenance mode.', {}, 'InvalidVolume');
    const allowed = req.force || req.inUseAllowed ? ['available', 'in-use'] : ['available'];
    if (!allowed.includes(v.status)) throw new BadRequest(`Invalid volume: Volume ${v.id} status must be ${allowed.join(' or ')}, but current status is: ${v.status}.`, { volumeId: v.id }, 'InvalidVolume');
    if (v.host === null) throw new BadRequest('Invalid volume: the volume is not placed on a backend.', {}, 'InvalidVolume');
    const type = await this.#api.types.find(v.volumeTypeId);
    const projectId = v.projectId;
    const deltas = snapshotDeltas(v.size, type?.name ?? '');
    await this.#api.quotas.consume(projectId, deltas, await this.#api.typeNames());
    const id = newId();
    let snap: Snapshot;
    try {
      snap = await this.#api.snapshots.create({ id, volumeId: v.id, projectId, userId: ctx.userId, name: req.name, description: req.description, volumeSize: v.size, volumeTypeId: v.volumeTypeId, groupSnapshotId: req.groupSnapshotId ?? null });
      if (Object.keys(req.metadata).length > 0) await writeMetadata(this.#db, 'snapshot_metadata', id, req.metadata, false);
    } catch (err) {
      await this.#api.quotas.release(projectId, deltas);
      await this.#api.snapshots.remove(id).catch(() => undefined);
      throw err;
    }
    await this.#rpc.createSnapshot(rpcContext(ctx), v.host, id);
    return { ...snap, metadata: { ...req.metadata } };
  }

  /** GET /snapshots[/detail]. */
  async list(ctx: RequestContext, q: { filter: SnapshotFilter; allTenants: boolean; sort: readonly SortKey[]; limit: number; marker: string | undefined; offset: number }): Promise<{ items: Snapshot[]; count: number }> {
    const filter: SnapshotFilter = { ...q.filter, ...(ctx.isAdmin && q.allTenants ? {} : { projectId: ctx.projectId ?? '' }) };
    const all = await this.#api.snapshots.list(filter);
    const { items } = page(sortBy(all, q.sort, sortValue), { marker: q.marker, limit: q.limit, offset: q.offset });
    return { items, count: all.length };
  }

  /** PUT /snapshots/{id}. */
  async update(ctx: RequestContext, id: string, set: { name?: string | null; description?: string | null }): Promise<Snapshot> {
    const s = await this.get(ctx, id);
    const values: Record<string, string | null> = {};
    if (set.name !== undefined) values.display_name = set.name;
    if (set.description !== undefined) values.display_description = set.description;
    await this.#api.snapshots.update(s.id, values);
    return this.#api.snapshots.get(s.id);
  }

  /** DELETE /snapshots/{id} (and os-force_delete): available or error → deleting, then cast. `member`: deleted with its group snapshot. */
  async delete(ctx: RequestContext, id: string, force = false, member = false): Promise<void> {
    const s = await this.get(ctx, id);
    const expected = force ? undefined : ['available', 'error'];
    if ((s.groupSnapshotId !== null && !member) || !(await this.#api.snapshots.update(s.id, { status: 'deleting' }, expected))) {
      throw new BadRequest(`Invalid snapshot: Snapshot status must be ${(expected ?? []).join(' or ')} and must not be part of a group.`, { snapshotId: s.id }, 'InvalidSnapshot');
    }
    const v = await this.#api.volumes.find(s.volumeId);
    if (v?.host === null || v === undefined) {
      await this.#api.snapshots.remove(s.id);
      const type = await this.#api.types.find(s.volumeTypeId);
      await this.#api.quotas.release(s.projectId, snapshotDeltas(s.volumeSize, type?.name ?? ''));
      return;
    }
    await this.#rpc.deleteSnapshot(rpcContext(ctx), v.host, s.id);
  }

  /** os-reset_status (admin). */
  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    const s = await this.get(ctx, id);
    if (!SNAPSHOT_STATUSES.includes(status)) throw new BadRequest(`Invalid input received: Must specify a valid status (got ${status}).`, {}, 'InvalidInput');
    await this.#api.snapshots.update(s.id, { status });
  }

  /** os-update_snapshot_status: the transitions nova's assisted snapshots make. */
  async updateStatus(ctx: RequestContext, id: string, status: string, progress: string | undefined): Promise<void> {
    const s = await this.get(ctx, id);
    const allowed: Readonly<Record<string, readonly string[]>> = { creating: ['creating', 'available', 'error'], deleting: ['deleting', 'error_deleting'] };
    if (!(allowed[s.status] ?? []).includes(status)) throw new BadRequest(`Invalid input received: Provided snapshot status ${status} not allowed for snapshot with status ${s.status}.`, {}, 'InvalidInput');
    await this.#api.snapshots.update(s.id, { status, ...(progress !== undefined ? { progress } : {}) });
  }

  async metadata(ctx: RequestContext, id: string): Promise<Record<string, string>> {
    const s = await this.get(ctx, id);
    return (await readMetadata(this.#db, 'snapshot_metadata', [s.id])).get(s.id) ?? {};
  }

  async setMetadata(ctx: RequestContext, id: string, metadata: Metadata, replace: boolean): Promise<Record<string, string>> {
    const s = await this.get(ctx, id);
    return writeMetadata(this.#db, 'snapshot_metadata', s.id, metadata, !replace);
  }

  async deleteMetadataKey(ctx: RequestContext, id: string, key: string): Promise<void> {
    const s = await this.get(ctx, id);
    if (!(await deleteMetadataKey(this.#db, 'snapshot_metadata', s.id, key))) throw new NotFound('Metadata item was not found', { key }, 'MetadataItemNotFound');
  }
}
