/** QoS specs (qos-specs API): named key/value sets a volume type can be associated with. */
import { randomUUID } from 'node:crypto';
import { Conflict, NotFound } from '@strata/errors';
import { isUniqueViolation, jsonColumn, nowIso, parseJsonColumn } from '@strata/db';
import type { QosSpecTable } from '../db/schema.js';
import type { BlockStorageDb } from './common.js';

/** A QoS spec. */
export interface QosSpec {
  readonly id: string;
  readonly name: string;
  /** front-end, back-end or both. */
  readonly consumer: string;
  readonly specs: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

function fromRow(r: QosSpecTable): QosSpec {
  return { id: r.id, name: r.name, consumer: r.consumer, specs: parseJsonColumn<Record<string, string>>(r.specs, {}), createdAt: r.created_at };
}

/** 404 QoSSpecsNotFound. */
export class QosSpecNotFound extends NotFound {
  constructor(id: string) {
    super(`No such QoS spec ${id}.`, { qosSpecsId: id }, 'QoSSpecsNotFound');
  }
}

/** Read and write QoS specs. */
export class QosSpecStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  async create(name: string, consumer: string, specs: Readonly<Record<string, string>>): Promise<QosSpec> {
    const row: QosSpecTable = { id: randomUUID(), name, consumer, specs: jsonColumn(specs), created_at: nowIso() };
    try {
      await this.#db.insertInto('qos_specs').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`QoS Specs ${name} already exists.`, { name }, 'QoSSpecsExists');
      throw err;
    }
    return fromRow(row);
  }

  async get(id: string): Promise<QosSpec> {
    const r = await this.#db.selectFrom('qos_specs').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new QosSpecNotFound(id);
    return fromRow(r);
  }

  async list(): Promise<QosSpec[]> {
    return (await this.#db.selectFrom('qos_specs').selectAll().orderBy('created_at').execute()).map(fromRow);
  }

  async setSpecs(id: string, specs: Readonly<Record<string, string>>): Promise<QosSpec> {
    await this.#db.updateTable('qos_specs').set({ specs: jsonColumn(specs) }).where('id', '=', id).execute();
    return this.get(id);
  }

  async setConsumer(id: string, consumer: string): Promise<void> {
    await this.#db.updateTable('qos_specs').set({ consumer }).where('id', '=', id).execute();
  }

  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('qos_specs').where('id', '=', id).execute();
  }
}
