/** Volumes attached to servers (`os-volume_attachments`), with cinder's attachment id. Version history: 1.0 - initial. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '@strata/errors';
import { isUniqueViolation, nowIso, toBool } from '@strata/db';
import type { ComputeDatabase, VolumeAttachmentTable } from '../db/schema.js';

/** A volume attached to a server. */
export interface VolumeAttachment {
  readonly id: string;
  readonly instanceId: string;
  readonly volumeId: string;
  readonly device: string;
  readonly tag: string | null;
  readonly deleteOnTermination: boolean;
  readonly attachmentId: string | null;
  readonly createdAt: string;
}

function fromRow(r: VolumeAttachmentTable): VolumeAttachment {
  return { id: r.id, instanceId: r.instance_id, volumeId: r.volume_id, device: r.device, tag: r.tag, deleteOnTermination: toBool(r.delete_on_termination), attachmentId: r.attachment_id, createdAt: r.created_at };
}

/** Reads and writes attachments. */
export class VolumeAttachmentStore {
  readonly #db: Kysely<ComputeDatabase>;
  constructor(db: Kysely<ComputeDatabase>) {
    this.#db = db;
  }

  /** 409 when the volume is already attached to the server. */
  async create(a: Omit<VolumeAttachment, 'id' | 'createdAt'>): Promise<VolumeAttachment> {
    const row: VolumeAttachmentTable = { id: randomUUID(), instance_id: a.instanceId, volume_id: a.volumeId, device: a.device, tag: a.tag, delete_on_termination: a.deleteOnTermination, attachment_id: a.attachmentId, created_at: nowIso() };
    try {
      await this.#db.insertInto('volume_attachments').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Volume ${a.volumeId} is already attached to instance ${a.instanceId}.`, {}, 'VolumeAlreadyAttached');
      throw err;
    }
    return fromRow(row);
  }

  async list(instanceId: string): Promise<VolumeAttachment[]> {
    const rows = await this.#db.selectFrom('volume_attachments').selectAll().where('instance_id', '=', instanceId).orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  /** The attachments of many servers in one query, by server id (GET /servers/detail). */
  async listMany(instanceIds: readonly string[]): Promise<Map<string, VolumeAttachment[]>> {
    const out = new Map<string, VolumeAttachment[]>();
    // NOTE: chunked so a long page never exceeds the databases' bound-parameter limits.
    for (let n = 0; n < instanceIds.length; n += 500) {
      const chunk = instanceIds.slice(n, n + 500);
      const rows = await this.#db.selectFrom('volume_attachments').selectAll().where('instance_id', 'in', chunk).orderBy('created_at').execute();
      for (const r of rows) {
        const list = out.get(r.instance_id) ?? [];
        list.push(fromRow(r));
        out.set(r.instance_id, list);
      }
    }
    return out;
  }

  /** Change delete_on_termination of an attachment (2.85). */
  async setDeleteOnTermination(instanceId: string, volumeId: string, deleteOnTermination: boolean): Promise<void> {
    await this.#db.updateTable('volume_attachments').set({ delete_on_termination: deleteOnTermination }).where('instance_id', '=', instanceId).where('volume_id', '=', volumeId).execute();
  }

  /** 404 VolumeAttachmentNotFound. */
  async get(instanceId: string, volumeId: string): Promise<VolumeAttachment> {
    const r = await this.#db.selectFrom('volume_attachments').selectAll().where('instance_id', '=', instanceId).where('volume_id', '=', volumeId).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Volume attachment could not be found with filter: volume_id = ${volumeId}.`, { volumeId }, 'VolumeBDMNotFound');
    return fromRow(r);
  }

  async setAttachmentId(id: string, attachmentId: string | null): Promise<void> {
    await this.#db.updateTable('volume_attachments').set({ attachment_id: attachmentId }).where('id', '=', id).execute();
  }

  async delete(instanceId: string, volumeId: string): Promise<void> {
    await this.#db.deleteFrom('volume_attachments').where('instance_id', '=', instanceId).where('volume_id', '=', volumeId).execute();
  }
}
