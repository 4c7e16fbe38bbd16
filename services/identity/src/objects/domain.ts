/** Domains: the top-level containers of projects, users, groups and domain-specific roles. */
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, toBool } from '@strata/db';
import type { DomainTable } from '../db/schema.js';
import { newId, readExtra, withDuplicateCheck, type Extra, type IdentityDb } from './common.js';

/** A domain as the service sees it. */
export interface Domain {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly extra: Extra;
}

/** Fields a create or update may set. */
export interface DomainInput {
  readonly id?: string;
  readonly name?: string;
  readonly description?: string;
  readonly enabled?: boolean;
  readonly extra?: Extra;
}

/** The id of the domain bootstrap creates. */
export const DEFAULT_DOMAIN_ID = 'default';

function fromRow(r: DomainTable): Domain {
  return { id: r.id, name: r.name, description: r.description, enabled: toBool(r.enabled), extra: readExtra(r.extra) };
}

/** Read and write domains. */
export class DomainStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** Create; 409 on a duplicate name. */
  async create(input: DomainInput & { name: string }): Promise<Domain> {
    const row: DomainTable = {
      id: input.id ?? newId(),
      name: input.name,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      extra: jsonColumn(input.extra ?? {}),
      created_at: nowIso(),
    };
    await withDuplicateCheck('domain', input.name, () => this.#db.insertInto('domains').values(row).execute());
    return fromRow(row);
  }

  /** The domain, or undefined. */
  async find(id: string): Promise<Domain | undefined> {
    const r = await this.#db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  /** The domain; 404 when missing. */
  async get(id: string): Promise<Domain> {
    const d = await this.find(id);
    if (d === undefined) throw new NotFound(`Could not find domain: ${id}.`, { id }, 'DomainNotFound');
    return d;
  }

  /** By name, or undefined. */
  async findByName(name: string): Promise<Domain | undefined> {
    const r = await this.#db.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  /** List with keystone's filters. */
  async list(filter: { name?: string; enabled?: boolean; ids?: readonly string[] } = {}): Promise<Domain[]> {
    let q = this.#db.selectFrom('domains').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(fromRow);
  }

  /** Update given fields; 404 when missing, 409 on a duplicate name. */
  async update(id: string, input: DomainInput): Promise<Domain> {
    const current = await this.get(id);
    const set: Partial<DomainTable> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) {
      await withDuplicateCheck('domain', input.name ?? current.name, () => this.#db.updateTable('domains').set(set).where('id', '=', id).execute());
    }
    return this.get(id);
  }

  /** Delete the row (callers check it is disabled and clean up what it owns). */
  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('domains').where('id', '=', id).execute();
  }
}
