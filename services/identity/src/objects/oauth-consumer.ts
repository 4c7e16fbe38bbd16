/** OAuth1 consumers (OS-OAUTH1): third-party applications that may ask users for delegated access. */
import { NotFound } from '@strata/errors';
import { jsonColumn } from '@strata/db';
import type { OAuthConsumerTable } from '../db/schema.js';
import { newId, readExtra, type Extra, type IdentityDb } from './common.js';

/** A consumer, without its secret. */
export interface OAuthConsumer {
  readonly id: string;
  readonly description: string;
  readonly extra: Extra;
}

const fromRow = (r: OAuthConsumerTable): OAuthConsumer => ({ id: r.id, description: r.description, extra: readExtra(r.extra) });

/** Read and write OAuth1 consumers. */
export class OAuthConsumerStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /**
   * Create a consumer with a new secret; the secret is returned only here.
   * NOTE: the secret is kept as given, as keystone does: OAuth1 HMAC-SHA1 signatures need it in clear.
   */
  async create(input: { description: string; secret: string; extra?: Extra }): Promise<OAuthConsumer & { secret: string }> {
    const row: OAuthConsumerTable = { id: newId(), description: input.description, secret: input.secret, extra: jsonColumn(input.extra ?? {}) };
    await this.#db.insertInto('oauth_consumers').values(row).execute();
    return { ...fromRow(row), secret: input.secret };
  }

  /** The consumer; 404 when missing. */
  async get(id: string): Promise<OAuthConsumer> {
    const r = await this.#db.selectFrom('oauth_consumers').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Could not find Consumer: ${id}.`, { id }, 'ConsumerNotFound');
    return fromRow(r);
  }

  /** Every consumer. */
  async list(): Promise<OAuthConsumer[]> {
    return (await this.#db.selectFrom('oauth_consumers').selectAll().orderBy('id').execute()).map(fromRow);
  }

  /** Update the description and extra attributes; 404 when missing. */
  async update(id: string, input: { description?: string; extra?: Extra }): Promise<OAuthConsumer> {
    const current = await this.get(id);
    const set: Partial<OAuthConsumerTable> = {};
    if (input.description !== undefined) set.description = input.description;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) await this.#db.updateTable('oauth_consumers').set(set).where('id', '=', id).execute();
    return this.get(id);
  }

  /** Delete; 404 when missing. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#db.deleteFrom('oauth_consumers').where('id', '=', id).execute();
  }
}
