/** Host aggregates: named host sets with metadata; `availability_zone` metadata puts their hosts in a zone. Version history: 1.0 - initial. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { BadRequest, Conflict, NotFound } from '@strata/errors';
import { isUniqueViolation, nextId, nowIso } from '@strata/db';
import type { AggregateTable, ComputeDatabase } from '../db/schema.js';

/** An aggregate. */
export interface Aggregate {
  readonly id: number;
  readonly uuid: string;
  readonly name: string;
  readonly availabilityZone: string | null;
  readonly hosts: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** Reads and writes aggregates. */
export class AggregateStore {
  readonly #db: Kysely<ComputeDatabase>;
  constructor(db: Kysely<ComputeDatabase>) {
    this.#db = db;
  }

  async #full(r: AggregateTable): Promise<Aggregate> {
    const hosts = (await this.#db.selectFrom('aggregate_hosts').select('host').where('aggregate_id', '=', r.id).orderBy('host').execute()).map((h) => h.host);
    const metadata: Record<string, string> = {};
    for (const m of await this.#db.selectFrom('aggregate_metadata').selectAll().where('aggregate_id', '=', r.id).execute()) metadata[m.key] = m.value;
    return { id: Number(r.id), uuid: r.uuid, name: r.name, availabilityZone: metadata.availability_zone ?? null, hosts, metadata, createdAt: r.created_at, updatedAt: r.updated_at };
  }

  async list(): Promise<Aggregate[]> {
    const rows = await this.#db.selectFrom('aggregates').selectAll().orderBy('id').execute();
    return Promise.all(rows.map((r) => this.#full(r)));
  }

  /** By numeric id or uuid; 404 AggregateNotFound. */
  async get(id: string): Promise<Aggregate> {
    const q = this.#db.selectFrom('aggregates').selectAll();
    const r = /^\d+$/.test(id) ? await q.where('id', '=', Number(id)).executeTakeFirst() : await q.where('uuid', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Aggregate ${id} could not be found.`, { aggregateId: id }, 'AggregateNotFound');
    return this.#full(r);
  }

  /** 409 AggregateNameExists on a duplicate name. The id is new: a deleted aggregate's id is not reused. */
  async create(name: string, availabilityZone: string | null): Promise<Aggregate> {
    const id = await nextId(this.#db, 'aggregates');
    const row: AggregateTable = { id, uuid: randomUUID(), name, created_at: nowIso(), updated_at: null };
    try {
      await this.#db.insertInto('aggregates').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Aggregate ${name} already exists.`, { name }, 'AggregateNameExists');
      throw err;
    }
    if (availabilityZone !== null) await this.setMetadata(row.id, { availability_zone: availabilityZone });
    return this.#full(row);
  }

  async update(id: number, changes: { name?: string; availabilityZone?: string | null }): Promise<Aggregate> {
    if (changes.name !== undefined) {
      try {
        await this.#db.updateTable('aggregates').set({ name: changes.name, updated_at: nowIso() }).where('id', '=', id).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new Conflict(`Aggregate ${changes.name} already exists.`, {}, 'AggregateNameExists');
        throw err;
      }
    }
    if (changes.availabilityZone !== undefined) await this.setMetadata(id, { availability_zone: changes.availabilityZone });
    return this.get(String(id));
  }

  async delete(id: number): Promise<void> {
    const a = await this.get(String(id));
    if (a.hosts.length > 0) throw new BadRequest(`Cannot remove aggregate ${id}: it still has hosts.`, {}, 'InvalidAggregateAction');
    await this.#db.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).execute();
    await this.#db.deleteFrom('aggregates').where('id', '=', id).execute();
  }

  /** Set (or, with null values, remove) metadata keys. */
  async setMetadata(id: number, metadata: Record<string, string | null>): Promise<void> {
    for (const [key, value] of Object.entries(metadata)) {
      await this.#db.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).where('key', '=', key).execute();
      if (value !== null) await this.#db.insertInto('aggregate_metadata').values({ aggregate_id: id, key, value }).execute();
    }
    await this.#db.updateTable('aggregates').set({ updated_at: nowIso() }).where('id', '=', id).execute();
  }

  /** 409 AggregateHostExists when the host is already in it. */
  async addHost(id: number, host: string): Promise<void> {
    try {
      await this.#db.insertInto('aggregate_hosts').values({ aggregate_id: id, host }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Aggregate ${id} already has host ${host}.`, {}, 'AggregateHostExists');
      throw err;
    }
  }

  /** 404 AggregateHostNotFound when the host is not in it. */
  async removeHost(id: number, host: string): Promise<void> {
    const res = await this.#db.deleteFrom('aggregate_hosts').where('aggregate_id', '=', id).where('host', '=', host).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound(`Cannot remove host ${host} in aggregate ${id}`, {}, 'AggregateHostNotFound');
  }

  /** host → availability zone, for hosts in an aggregate with one. */
  async zoneByHost(): Promise<Map<string, string>> {
    const rows = await this.#db
      .selectFrom('aggregate_hosts')
      .innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
      .select(['aggregate_hosts.host as host', 'aggregate_metadata.value as zone'])
      .where('aggregate_metadata.key', '=', 'availability_zone')
      .execute();
    return new Map(rows.map((r) => [r.host, r.zone]));
  }
}
