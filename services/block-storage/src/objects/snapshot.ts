/**
 * Snapshots of volumes.
 *
 * Version history:
 * - 1.0 - Initial version.
 */
import type { Updateable } from 'kysely';
import { NotFound } from '@strata/errors';
import { nowIso, toBool } from '@strata/db';
import type { SnapshotTable } from '../db/schema.js';
import { deleteAllMetadata, readMetadata, type BlockStorageDb, type Metadata } from './common.js';

/** Cinder's snapshot statuses. */
export type SnapshotStatus = 'creating' | 'available' | 'deleting' | 'error' | 'error_deleting' | 'unmanaging' | 'backing-up' | 'restoring';

/** A snapshot as the service sees it. */
export interface Snapshot {
  readonly id: string;
  readonly volumeId: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly status: string;
  readonly progress: string;
  readonly volumeSize: number;
  readonly volumeTypeId: string;
  readonly providerLocation: string | null;
  readonly groupSnapshotId: string | null;
  readonly useQuota: boolean;
  readonly metadata: Metadata;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** Filters of GET /snapshots. */
export interface SnapshotFilter {
  readonly projectId?: string;
  readonly volumeId?: string;
  readonly name?: string;
  readonly status?: string;
  readonly metadata?: Metadata;
}

function fromRow(r: SnapshotTable, metadata: Metadata): Snapshot {
  return {
    id: r.id,
    volumeId: r.volume_id,
    projectId: r.project_id,
    userId: r.user_id,
    name: r.display_name,
    description: r.display_description,
    status: r.status,
    progress: r.progress,
    volumeSize: Number(r.volume_size),
    volumeTypeId: r.volume_type_id,
    providerLocation: r.provider_location,
    groupSnapshotId: r.group_snapshot_id,
    useQuota: toBool(r.use_quota),
    metadata,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** 404 SnapshotNotFound. */
export class SnapshotNotFound extends NotFound {
  constructor(id: string) {
    super(`Snapshot ${id} could not be found.`, { snapshotId: id }, 'SnapshotNotFound');
  }
}

/** Read and write snapshot rows. */
export class SnapshotStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  /** Insert a snapshot in `creating`. */
  async create(s: { id: string; volumeId: string; projectId: string; userId: string; name: string | null; description: string | null; volumeSize: number; volumeTypeId: string; groupSnapshotId?: string | null }): Promise<Snapshot> {
    const row: SnapshotTable = {
      id: s.id,
      volume_id: s.volumeId,
      project_id: s.projectId,
      user_id: s.userId,
      display_name: s.name,
      display_description: s.description,
      status: 'creating',
      progress: '0%',
      volume_size: s.volumeSize,
      volume_type_id: s.volumeTypeId,
      provider_location: null,
      group_snapshot_id: s.groupSnapshotId ?? null,
      use_quota: true,
      created_at: nowIso(),
      updated_at: null,
    };
    await this.#db.insertInto('snapshots').values(row).execute();
    return fromRow(row, {});
  }

  async find(id: string): Promise<Snapshot | undefined> {
    const r = await this.#db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) return undefined;
    return fromRow(r, (await readMetadata(this.#db, 'snapshot_metadata', [id])).get(id) ?? {});
  }

  /** The snapshot; SnapshotNotFound (404) when missing. */
  async get(id: string): Promise<Snapshot> {
    const s = await this.find(id);
    if (s === undefined) throw new SnapshotNotFound(id);
    return s;
  }

  async list(filter: SnapshotFilter = {}): Promise<Snapshot[]> {
    let q = this.#db.selectFrom('snapshots').selectAll();
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    if (filter.volumeId !== undefined) q = q.where('volume_id', '=', filter.volumeId);
    if (filter.name !== undefined) q = q.where('display_name', '=', filter.name);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    const rows = await q.execute();
    const md = await readMetadata(this.#db, 'snapshot_metadata', rows.map((r) => r.id));
    let out = rows.map((r) => fromRow(r, md.get(r.id) ?? {}));
    const want = filter.metadata;
    if (want !== undefined) out = out.filter((s) => Object.entries(want).every(([k, v]) => s.metadata[k] === v));
    return out;
  }

  /** Compare-and-swap update: true when the row was changed. */
  async update(id: string, set: Updateable<SnapshotTable>, expectStatus?: readonly string[]): Promise<boolean> {
    let q = this.#db.updateTable('snapshots').set({ ...set, updated_at: nowIso() }).where('id', '=', id);
    if (expectStatus !== undefined) q = q.where('status', 'in', expectStatus);
    return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
  }

  /** Number of snapshots of a volume. */
  async countForVolume(volumeId: string): Promise<number> {
    const r = await this.#db.selectFrom('snapshots').select((eb) => eb.fn.countAll<number>().as('n')).where('volume_id', '=', volumeId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async remove(id: string): Promise<void> {
    await deleteAllMetadata(this.#db, 'snapshot_metadata', id);
    await this.#db.deleteFrom('snapshots').where('id', '=', id).execute();
  }
}
