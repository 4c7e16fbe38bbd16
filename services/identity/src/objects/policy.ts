/** Policies (/v3/policies): opaque policy documents keystone stores for other services. */
import { NotFound } from '@strata/errors';
import { jsonColumn } from '@strata/db';
import type { PolicyTable } from '../db/schema.js';
import { newId, readExtra, type Extra, type IdentityDb } from './common.js';

/** A stored policy: a MIME type and a blob keystone never interprets. */
export interface Policy {
  readonly id: string;
  readonly type: string;
  readonly blob: string;
  readonly extra: Extra;
}

const fromRow = (r: PolicyTable): Policy => ({ id: r.id, type: r.type, blob: r.blob, extra: readExtra(r.extra) });

/** Read and write policies. */
export class PolicyStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** Create a policy. */
  async create(input: { type: string; blob: string; extra?: Extra }): Promise<Policy> {
    const row: PolicyTable = { id: newId(), type: input.type, blob: input.blob, extra: jsonColumn(input.extra ?? {}) };
    await this.#db.insertInto('policies').values(row).execute();
    return fromRow(row);
  }

  /** The policy; 404 when missing. */
  async get(id: string): Promise<Policy> {
    const r = await this.#db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Could not find policy: ${id}.`, { id }, 'PolicyNotFound');
    return fromRow(r);
  }

  /** Policies, optionally of one type. */
  async list(filter: { type?: string } = {}): Promise<Policy[]> {
    let q = this.#db.selectFrom('policies').selectAll().orderBy('id');
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    return (await q.execute()).map(fromRow);
  }

  /** Update given fields; 404 when missing. */
  async update(id: string, input: { type?: string; blob?: string; extra?: Extra }): Promise<Policy> {
    const current = await this.get(id);
    const set: Partial<PolicyTable> = {};
    if (input.type !== undefined) set.type = input.type;
    if (input.blob !== undefined) set.blob = input.blob;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) await this.#db.updateTable('policies').set(set).where('id', '=', id).execute();
    return this.get(id);
  }

  /** Delete; 404 when missing. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#db.deleteFrom('policies').where('id', '=', id).execute();
  }
}
