/** Credentials: secrets a user keeps in keystone for other systems (EC2 access keys, TOTP seeds, certificates). */
import { NotFound } from '@strata/errors';
import { jsonColumn } from '@strata/db';
import type { CredentialTable } from '../db/schema.js';
import { readExtra, type Extra, type IdentityDb } from './common.js';

/** A stored credential. The blob is the opaque string the client gave (JSON for EC2). */
export interface Credential {
  readonly id: string;
  readonly userId: string;
  readonly projectId: string | null;
  readonly type: string;
  readonly blob: string;
  readonly extra: Extra;
}

/** Fields an update may set. */
export interface CredentialUpdate {
  readonly userId?: string;
  readonly projectId?: string | null;
  readonly type?: string;
  readonly blob?: string;
  readonly extra?: Extra;
}

const fromRow = (r: CredentialTable): Credential => ({ id: r.id, userId: r.user_id, projectId: r.project_id, type: r.type, blob: r.blob, extra: readExtra(r.extra) });

/** Read and write credentials. */
export class CredentialStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** Insert a credential with the id the caller chose (EC2 ids derive from the access key). */
  async create(c: Credential): Promise<Credential> {
    await this.#db
      .insertInto('credentials')
      .values({ id: c.id, user_id: c.userId, project_id: c.projectId, type: c.type, blob: c.blob, extra: jsonColumn(c.extra) })
      .execute();
    return c;
  }

  /** The credential, or undefined. */
  async find(id: string): Promise<Credential | undefined> {
    const r = await this.#db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  /** The credential; 404 when missing. */
  async get(id: string): Promise<Credential> {
    const c = await this.find(id);
    if (c === undefined) throw new NotFound(`Could not find credential: ${id}.`, { id }, 'CredentialNotFound');
    return c;
  }

  /** Credentials, optionally of one user and/or one type. */
  async list(filter: { userId?: string; type?: string } = {}): Promise<Credential[]> {
    let q = this.#db.selectFrom('credentials').selectAll().orderBy('id');
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    return (await q.execute()).map(fromRow);
  }

  /** Update given fields; 404 when missing. */
  async update(id: string, input: CredentialUpdate): Promise<Credential> {
    const current = await this.get(id);
    const set: Partial<CredentialTable> = {};
    if (input.userId !== undefined) set.user_id = input.userId;
    if (input.projectId !== undefined) set.project_id = input.projectId;
    if (input.type !== undefined) set.type = input.type;
    if (input.blob !== undefined) set.blob = input.blob;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) await this.#db.updateTable('credentials').set(set).where('id', '=', id).execute();
    return this.get(id);
  }

  /** Delete one credential. */
  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('credentials').where('id', '=', id).execute();
  }

  /** Delete every credential of a user or on a project (that user or project is being deleted). */
  async deleteFor(kind: 'user' | 'project', id: string): Promise<void> {
    await this.#db.deleteFrom('credentials').where(kind === 'user' ? 'user_id' : 'project_id', '=', id).execute();
  }
}
