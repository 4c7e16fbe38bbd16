/**
 * Volume attachments: one row per (volume, instance or host) use of a volume.
 *
 * Version history:
 * - 1.0 - Initial version.
 */
import type { Updateable } from 'kysely';
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, parseJsonColumn } from '@strata/db';
import type { AttachmentTable } from '../db/schema.js';
import type { BlockStorageDb } from './common.js';

/** An attachment. */
export interface Attachment {
  readonly id: string;
  readonly volumeId: string;
  readonly projectId: string;
  readonly instanceUuid: string | null;
  readonly attachedHost: string | null;
  readonly mountpoint: string | null;
  readonly attachStatus: string;
  readonly attachMode: string;
  readonly connector: Readonly<Record<string, unknown>> | null;
  readonly connectionInfo: Readonly<Record<string, unknown>> | null;
  readonly attachTime: string | null;
  readonly detachTime: string | null;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

function fromRow(r: AttachmentTable): Attachment {
  return {
    id: r.id,
    volumeId: r.volume_id,
    projectId: r.project_id,
    instanceUuid: r.instance_uuid,
    attachedHost: r.attached_host,
    mountpoint: r.mountpoint,
    attachStatus: r.attach_status,
    attachMode: r.attach_mode,
    connector: parseJsonColumn<Record<string, unknown> | null>(r.connector, null),
    connectionInfo: parseJsonColumn<Record<string, unknown> | null>(r.connection_info, null),
    attachTime: r.attach_time,
    detachTime: r.detach_time,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** 404 VolumeAttachmentNotFound. */
export class AttachmentNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume attachment could not be found with filter: attachment_id = ${id}.`, { attachmentId: id }, 'VolumeAttachmentNotFound');
  }
}

/** Read and write attachments. */
export class AttachmentStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  async create(a: { id: string; volumeId: string; projectId: string; instanceUuid: string | null; attachedHost: string | null; mountpoint: string | null; attachStatus: string; attachMode: string; connector?: Record<string, unknown> | null }): Promise<Attachment> {
    const row: AttachmentTable = {
      id: a.id,
      volume_id: a.volumeId,
      project_id: a.projectId,
      instance_uuid: a.instanceUuid,
      attached_host: a.attachedHost,
      mountpoint: a.mountpoint,
      attach_status: a.attachStatus,
      attach_mode: a.attachMode,
      connector: a.connector === undefined || a.connector === null ? null : jsonColumn(a.connector),
      connection_info: null,
      attach_time: null,
      detach_time: null,
      created_at: nowIso(),
      updated_at: null,
    };
    await this.#db.insertInto('volume_attachments').values(row).execute();
    return fromRow(row);
  }

  async find(id: string): Promise<Attachment | undefined> {
    const r = await this.#db.selectFrom('volume_attachments').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  async get(id: string): Promise<Attachment> {
    const a = await this.find(id);
    if (a === undefined) throw new AttachmentNotFound(id);
    return a;
  }

  /** Attachments of some volumes (not detached ones), by volume id. */
  async forVolumes(volumeIds: readonly string[]): Promise<Map<string, Attachment[]>> {
    const out = new Map<string, Attachment[]>(volumeIds.map((id) => [id, []]));
    for (let i = 0; i < volumeIds.length; i += 500) {
      const rows = await this.#db.selectFrom('volume_attachments').selectAll().where('volume_id', 'in', volumeIds.slice(i, i + 500)).orderBy('created_at').execute();
      for (const r of rows) out.get(r.volume_id)?.push(fromRow(r));
    }
    return out;
  }

  /** Every attachment, filtered (GET /attachments). */
  async list(filter: { projectId?: string; volumeId?: string; instanceUuid?: string; status?: string } = {}): Promise<Attachment[]> {
    let q = this.#db.selectFrom('volume_attachments').selectAll();
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    if (filter.volumeId !== undefined) q = q.where('volume_id', '=', filter.volumeId);
    if (filter.instanceUuid !== undefined) q = q.where('instance_uuid', '=', filter.instanceUuid);
    if (filter.status !== undefined) q = q.where('attach_status', '=', filter.status);
    return (await q.orderBy('created_at').execute()).map(fromRow);
  }

  async update(id: string, set: { attachStatus?: string; connector?: Record<string, unknown> | null; connectionInfo?: Record<string, unknown> | null; mountpoint?: string | null; attachedHost?: string | null; instanceUuid?: string | null; attachTime?: string | null; detachTime?: string | null; attachMode?: string }): Promise<void> {
    const v: Updateable<AttachmentTable> = { updated_at: nowIso() };
    if (set.attachStatus !== undefined) v.attach_status = set.attachStatus;
    if (set.connector !== undefined) v.connector = set.connector === null ? null : jsonColumn(set.connector);
    if (set.connectionInfo !== undefined) v.connection_info = set.connectionInfo === null ? null : jsonColumn(set.connectionInfo);
    if (set.mountpoint !== undefined) v.mountpoint = set.mountpoint;
    if (set.attachedHost !== undefined) v.attached_host = set.attachedHost;
    if (set.instanceUuid !== undefined) v.instance_uuid = set.instanceUuid;
    if (set.attachTime !== undefined) v.attach_time = set.attachTime;
    if (set.detachTime !== undefined) v.detach_time = set.detachTime;
    if (set.attachMode !== undefined) v.attach_mode = set.attachMode;
    await this.#db.updateTable('volume_attachments').set(v).where('id', '=', id).execute();
  }

  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('volume_attachments').where('id', '=', id).execute();
  }

  async removeForVolume(volumeId: string): Promise<void> {
    await this.#db.deleteFrom('volume_attachments').where('volume_id', '=', volumeId).execute();
  }
}
