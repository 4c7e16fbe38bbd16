/** Image members: the projects an image is shared with, and whether each accepted it. */
import { nowIso } from '@strata/db';
import type { ImageMemberTable } from '../db/schema.js';
import type { MemberStatus } from '../image-schema.js';
import type { ImageDb } from './common.js';

/** A membership as the service sees it. */
export interface ImageMember {
  readonly imageId: string;
  readonly memberId: string;
  readonly status: MemberStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

function fromRow(r: ImageMemberTable): ImageMember {
  return { imageId: r.image_id, memberId: r.member, status: r.status as MemberStatus, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** Read and write memberships. */
export class MemberRepo {
  readonly #db: ImageDb;
  constructor(db: ImageDb) {
    this.#db = db;
  }

  /** Members of an image, oldest first. */
  async list(imageId: string): Promise<ImageMember[]> {
    return (await this.#db.selectFrom('image_members').selectAll().where('image_id', '=', imageId).orderBy('created_at').orderBy('member').execute()).map(fromRow);
  }

  /** One membership, or undefined. */
  async find(imageId: string, memberId: string): Promise<ImageMember | undefined> {
    const r = await this.#db.selectFrom('image_members').selectAll().where('image_id', '=', imageId).where('member', '=', memberId).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  /** Add a pending membership; throws the DB's unique violation when it exists. */
  async create(imageId: string, memberId: string): Promise<ImageMember> {
    const now = nowIso();
    const row: ImageMemberTable = { image_id: imageId, member: memberId, status: 'pending', created_at: now, updated_at: now };
    await this.#db.insertInto('image_members').values(row).execute();
    return fromRow(row);
  }

  /** Set the status; undefined when there is no such membership. */
  async setStatus(imageId: string, memberId: string, status: MemberStatus): Promise<ImageMember | undefined> {
    const r = await this.#db.updateTable('image_members').set({ status, updated_at: nowIso() }).where('image_id', '=', imageId).where('member', '=', memberId).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return undefined;
    return this.find(imageId, memberId);
  }

  /** Remove; false when there was none. */
  async delete(imageId: string, memberId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('image_members').where('image_id', '=', imageId).where('member', '=', memberId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /** How many members an image has. */
  async count(imageId: string): Promise<number> {
    const r = await this.#db.selectFrom('image_members').select((eb) => eb.fn.countAll<number | string>().as('n')).where('image_id', '=', imageId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
