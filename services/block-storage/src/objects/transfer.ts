/**
 * Volume transfers: a volume offered to another project, accepted with an auth key whose salted
 * hash is stored (cinder/transfer/api.py).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { NotFound } from '@strata/errors';
import { nowIso, toBool } from '@strata/db';
import type { TransferTable } from '../db/schema.js';
import type { BlockStorageDb } from './common.js';

/** A transfer. */
export interface Transfer {
  readonly id: string;
  readonly volumeId: string;
  readonly name: string | null;
  readonly noSnapshots: boolean;
  readonly sourceProjectId: string;
  readonly destinationProjectId: string | null;
  readonly accepted: boolean;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

function fromRow(r: TransferTable): Transfer {
  return {
    id: r.id,
    volumeId: r.volume_id,
    name: r.display_name,
    noSnapshots: toBool(r.no_snapshots),
    sourceProjectId: r.source_project_id,
    destinationProjectId: r.destination_project_id,
    accepted: toBool(r.accepted),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function hashKey(salt: string, authKey: string): string {
  return createHash('sha256').update(salt).update(authKey).digest('hex');
}

/** 404 TransferNotFound. */
export class TransferNotFound extends NotFound {
  constructor(id: string) {
    super(`Transfer ${id} could not be found.`, { transferId: id }, 'TransferNotFound');
  }
}

/** Read and write transfers. */
export class TransferStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  /** Create a pending transfer; returns it with its auth key (shown once). */
  async create(t: { volumeId: string; name: string | null; noSnapshots: boolean; sourceProjectId: string }): Promise<{ transfer: Transfer; authKey: string }> {
    const authKey = randomBytes(8).toString('hex');
    const salt = randomBytes(8).toString('hex');
    const row: TransferTable = {
      id: randomUUID(),
      volume_id: t.volumeId,
      display_name: t.name,
      salt,
      crypt_hash: hashKey(salt, authKey),
      no_snapshots: t.noSnapshots,
      source_project_id: t.sourceProjectId,
      destination_project_id: null,
      accepted: false,
      created_at: nowIso(),
      updated_at: null,
    };
    await this.#db.insertInto('transfers').values(row).execute();
    return { transfer: fromRow(row), authKey };
  }

  async get(id: string): Promise<Transfer> {
    const r = await this.#db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new TransferNotFound(id);
    return fromRow(r);
  }

  /** True when `authKey` is the transfer's key. */
  async checkKey(id: string, authKey: string): Promise<boolean> {
    const r = await this.#db.selectFrom('transfers').select(['salt', 'crypt_hash']).where('id', '=', id).executeTakeFirst();
    if (r === undefined) return false;
    const a = Buffer.from(hashKey(r.salt, authKey));
    const b = Buffer.from(r.crypt_hash);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Pending transfers (and accepted ones with `includeAccepted`). */
  async list(filter: { projectId?: string; includeAccepted?: boolean } = {}): Promise<Transfer[]> {
    let q = this.#db.selectFrom('transfers').selectAll().orderBy('created_at', 'desc');
    if (filter.projectId !== undefined) q = q.where('source_project_id', '=', filter.projectId);
    if (filter.includeAccepted !== true) q = q.where('accepted', '=', false);
    return (await q.execute()).map(fromRow);
  }

  /** Pending transfer of a volume, if any. */
  async pendingForVolume(volumeId: string): Promise<Transfer | undefined> {
    const r = await this.#db.selectFrom('transfers').selectAll().where('volume_id', '=', volumeId).where('accepted', '=', false).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  async markAccepted(id: string, destinationProjectId: string): Promise<boolean> {
    const r = await this.#db.updateTable('transfers').set({ accepted: true, destination_project_id: destinationProjectId, updated_at: nowIso() }).where('id', '=', id).where('accepted', '=', false).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('transfers').where('id', '=', id).execute();
  }

  async removeForVolume(volumeId: string): Promise<void> {
    await this.#db.deleteFrom('transfers').where('volume_id', '=', volumeId).where('accepted', '=', false).execute();
  }
}
