/**
 * Volumes: rows to domain objects in one place, and compare-and-swap status changes.
 *
 * Version history:
 * - 1.0 - Initial version (cinder Volume 1.9 fields we serve).
 */
import { sql, type Updateable } from 'kysely';
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { VolumeTable } from '../db/schema.js';
import { deleteAllMetadata, readMetadata, type BlockStorageDb, type Metadata } from './common.js';

/** Cinder's volume statuses (the API strings). */
export type VolumeStatus =
  | 'creating'
  | 'available'
  | 'reserved'
  | 'attaching'
  | 'in-use'
  | 'detaching'
  | 'maintenance'
  | 'deleting'
  | 'awaiting-transfer'
  | 'error'
  | 'error_deleting'
  | 'error_extending'
  | 'extending'
  | 'downloading'
  | 'uploading'
  | 'retyping'
  | 'reverting'
  | 'error_restoring'
  | 'backing-up'
  | 'restoring-backup';

/** A volume as the service sees it. */
export interface Volume {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string | null;
  readonly description: string | null;
  /** GiB. */
  readonly size: number;
  readonly status: string;
  readonly attachStatus: string;
  readonly previousStatus: string | null;
  readonly migrationStatus: string | null;
  readonly availabilityZone: string;
  /** `host@backend#pool`, null until scheduled. */
  readonly host: string | null;
  readonly volumeTypeId: string;
  readonly snapshotId: string | null;
  readonly sourceVolid: string | null;
  readonly groupId: string | null;
  readonly bootable: boolean;
  readonly multiattach: boolean;
  readonly replicationStatus: string | null;
  readonly providerLocation: string | null;
  readonly providerId: string | null;
  readonly encryptionKeyId: string | null;
  readonly serviceUuid: string | null;
  readonly useQuota: boolean;
  readonly adminMetadata: Readonly<Record<string, string>>;
  readonly imageMetadata: Readonly<Record<string, string>>;
  readonly metadata: Metadata;
  readonly createdAt: string;
  readonly updatedAt: string | null;
  readonly launchedAt: string | null;
  readonly terminatedAt: string | null;
}

/** What a new volume row is made from. */
export interface NewVolume {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly size: number;
  readonly status: VolumeStatus;
  readonly availabilityZone: string;
  readonly volumeTypeId: string;
  readonly snapshotId: string | null;
  readonly sourceVolid: string | null;
  readonly groupId: string | null;
  readonly multiattach: boolean;
  readonly bootable: boolean;
  readonly imageMetadata: Readonly<Record<string, string>>;
}

/** A comparison of a timestamp filter (3.60): `created_at=gt:2020-01-01T00:00:00`. */
export interface TimeComparison {
  readonly op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
  readonly value: string;
}

/** Filters of GET /volumes; every field narrows. */
export interface VolumeFilter {
  readonly projectId?: string;
  readonly name?: string;
  /** Substring match on the name (3.34 `name~`). */
  readonly nameLike?: string;
  readonly status?: string;
  readonly statusLike?: string;
  readonly bootable?: boolean;
  readonly availabilityZone?: string;
  readonly groupId?: string;
  readonly host?: string;
  readonly volumeTypeId?: string;
  readonly metadata?: Metadata;
  readonly imageMetadata?: Metadata;
  readonly createdAt?: readonly TimeComparison[];
  readonly updatedAt?: readonly TimeComparison[];
  readonly ids?: readonly string[];
}

function fromRow(r: VolumeTable, metadata: Metadata): Volume {
  return {
    id: r.id,
    projectId: r.project_id,
    userId: r.user_id,
    name: r.display_name,
    description: r.display_description,
    size: Number(r.size),
    status: r.status,
    attachStatus: r.attach_status,
    previousStatus: r.previous_status,
    migrationStatus: r.migration_status,
    availabilityZone: r.availability_zone,
    host: r.host,
    volumeTypeId: r.volume_type_id,
    snapshotId: r.snapshot_id,
    sourceVolid: r.source_volid,
    groupId: r.group_id,
    bootable: toBool(r.bootable),
    multiattach: toBool(r.multiattach),
    replicationStatus: r.replication_status,
    providerLocation: r.provider_location,
    providerId: r.provider_id,
    encryptionKeyId: r.encryption_key_id,
    serviceUuid: r.service_uuid,
    useQuota: toBool(r.use_quota),
    adminMetadata: parseJsonColumn<Record<string, string>>(r.admin_metadata, {}),
    imageMetadata: parseJsonColumn<Record<string, string>>(r.image_metadata, {}),
    metadata,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    launchedAt: r.launched_at,
    terminatedAt: r.terminated_at,
  };
}

const OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' } as const;

/** 404 VolumeNotFound. */
export class VolumeNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume ${id} could not be found.`, { volumeId: id }, 'VolumeNotFound');
  }
}

/** Columns a compare-and-swap update may set. */
export type VolumeUpdate = Updateable<VolumeTable>;

/** What a compare-and-swap expects the row to hold. */
export interface VolumeExpectation {
  readonly status?: readonly string[];
  readonly attachStatus?: readonly string[];
  readonly migrationStatus?: null;
}

/** Read and write volume rows. */
export class VolumeStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  /** Insert a new volume (status as given, attach status detached). */
  async create(v: NewVolume): Promise<Volume> {
    const now = nowIso();
    const row: VolumeTable = {
      id: v.id,
      project_id: v.projectId,
      user_id: v.userId,
      display_name: v.name,
      display_description: v.description,
      size: v.size,
      status: v.status,
      attach_status: 'detached',
      previous_status: null,
      migration_status: null,
      availability_zone: v.availabilityZone,
      host: null,
      volume_type_id: v.volumeTypeId,
      snapshot_id: v.snapshotId,
      source_volid: v.sourceVolid,
      group_id: v.groupId,
      bootable: v.bootable,
      multiattach: v.multiattach,
      replication_status: 'disabled',
      provider_location: null,
      provider_id: null,
      encryption_key_id: null,
      service_uuid: null,
      use_quota: true,
      admin_metadata: jsonColumn({}),
      image_metadata: jsonColumn(v.imageMetadata),
      created_at: now,
      updated_at: null,
      launched_at: null,
      terminated_at: null,
    };
    await this.#db.insertInto('volumes').values(row).execute();
    return fromRow(row, {});
  }

  /** The volume, or undefined. */
  async find(id: string): Promise<Volume | undefined> {
    const r = await this.#db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) return undefined;
    const md = await readMetadata(this.#db, 'volume_metadata', [id]);
    return fromRow(r, md.get(id) ?? {});
  }

  /** The volume; VolumeNotFound (404) when missing. */
  async get(id: string): Promise<Volume> {
    const v = await this.find(id);
    if (v === undefined) throw new VolumeNotFound(id);
    return v;
  }

  /** Volumes matching `filter`, unsorted. */
  async list(filter: VolumeFilter = {}): Promise<Volume[]> {
    let q = this.#db.selectFrom('volumes').selectAll();
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    if (filter.name !== undefined) q = q.where('display_name', '=', filter.name);
    if (filter.nameLike !== undefined) q = q.where('display_name', 'like', `%${filter.nameLike}%`);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.statusLike !== undefined) q = q.where('status', 'like', `%${filter.statusLike}%`);
    if (filter.bootable !== undefined) q = q.where('bootable', '=', filter.bootable);
    if (filter.availabilityZone !== undefined) q = q.where('availability_zone', '=', filter.availabilityZone);
    if (filter.groupId !== undefined) q = q.where('group_id', '=', filter.groupId);
    if (filter.host !== undefined) q = q.where((eb) => eb.or([eb('host', '=', filter.host as string), eb('host', 'like', `${filter.host as string}#%`), eb('host', 'like', `${filter.host as string}@%`)]));
    if (filter.volumeTypeId !== undefined) q = q.where('volume_type_id', '=', filter.volumeTypeId);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    for (const c of filter.createdAt ?? []) q = q.where('created_at', OPS[c.op], c.value);
    for (const c of filter.updatedAt ?? []) q = q.where('updated_at', OPS[c.op], c.value);
    for (const [key, value] of Object.entries(filter.metadata ?? {})) {
      q = q.where((eb) => eb.exists(eb.selectFrom('volume_metadata').select(sql`1`.as('one')).whereRef('volume_metadata.resource_id', '=', 'volumes.id').where('volume_metadata.key', '=', key).where('volume_metadata.value', '=', value)));
    }
    const rows = await q.execute();
    const md = await readMetadata(this.#db, 'volume_metadata', rows.map((r) => r.id));
    let out = rows.map((r) => fromRow(r, md.get(r.id) ?? {}));
    const im = filter.imageMetadata;
    if (im !== undefined) out = out.filter((v) => Object.entries(im).every(([k, val]) => v.imageMetadata[k] === val));
    return out;
  }

  /**
   * Set columns when the row still matches `expect` (a compare-and-swap, cinder's
   * conditional_update); true when the row was changed.
   */
  async update(id: string, set: VolumeUpdate, expect: VolumeExpectation = {}): Promise<boolean> {
    let q = this.#db.updateTable('volumes').set({ ...set, updated_at: nowIso() }).where('id', '=', id);
    if (expect.status !== undefined) q = q.where('status', 'in', expect.status);
    if (expect.attachStatus !== undefined) q = q.where('attach_status', 'in', expect.attachStatus);
    if (expect.migrationStatus === null) q = q.where('migration_status', 'is', null);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Merge keys into the admin metadata. */
  async setAdminMetadata(id: string, values: Readonly<Record<string, string>>): Promise<void> {
    const v = await this.get(id);
    await this.update(id, { admin_metadata: jsonColumn({ ...v.adminMetadata, ...values }) });
  }

  /** Replace the image metadata. */
  async setImageMetadata(id: string, values: Readonly<Record<string, string>>): Promise<void> {
    await this.update(id, { image_metadata: jsonColumn(values) });
  }

  /** Remove the row and its metadata. */
  async remove(id: string): Promise<void> {
    await deleteAllMetadata(this.#db, 'volume_metadata', id);
    await this.#db.deleteFrom('volumes').where('id', '=', id).execute();
  }

  /** Number and total size of volumes matching a project (for summaries and quota reconciliation). */
  async totals(projectId: string | undefined): Promise<{ count: number; size: number }> {
    let q = this.#db.selectFrom('volumes').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('total')]);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const r = await q.executeTakeFirstOrThrow();
    return { count: Number(r.n), size: Number(r.total ?? 0) };
  }

  /** GiB of volumes placed on a backend (`host@backend`), for the capacity reconciliation at start. */
  async allocatedOn(backend: string): Promise<Map<string, number>> {
    const rows = await this.#db
      .selectFrom('volumes')
      .select(['host'])
      .select((eb) => eb.fn.sum<number>('size').as('total'))
      .where('host', 'like', `${backend}#%`)
      .groupBy('host')
      .execute();
    const out = new Map<string, number>();
    for (const r of rows) if (r.host !== null) out.set(r.host.slice(r.host.indexOf('#') + 1), Number(r.total ?? 0));
    return out;
  }
}
