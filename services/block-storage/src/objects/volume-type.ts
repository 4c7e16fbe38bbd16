/**
 * Volume types with their extra specs, project access, encryption and per-project defaults.
 *
 * Version history:
 * - 1.0 - Initial version.
 */
import { randomUUID } from 'node:crypto';
import { Conflict, NotFound } from '@strata/errors';
import { isUniqueViolation, nowIso, toBool } from '@strata/db';
import type { EncryptionTable, VolumeTypeTable } from '../db/schema.js';
import type { BlockStorageDb } from './common.js';

/** The type every deployment has and volumes get when none is asked for. */
export const DEFAULT_VOLUME_TYPE = '__DEFAULT__';

/** A volume type. */
export interface VolumeType {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly isPublic: boolean;
  readonly qosSpecsId: string | null;
  readonly extraSpecs: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** A type's encryption spec. */
export interface Encryption {
  readonly volumeTypeId: string;
  readonly encryptionId: string;
  readonly provider: string;
  readonly controlLocation: string;
  readonly cipher: string | null;
  readonly keySize: number | null;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** 404 VolumeTypeNotFound. */
export class VolumeTypeNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume type ${id} could not be found.`, { volumeTypeId: id }, 'VolumeTypeNotFound');
  }
}

/** 404 VolumeTypeNotFoundByName. */
export class VolumeTypeNotFoundByName extends NotFound {
  constructor(name: string) {
    super(`Volume type with name ${name} could not be found.`, { name }, 'VolumeTypeNotFoundByName');
  }
}

function fromRow(r: VolumeTypeTable, specs: Record<string, string>): VolumeType {
  return { id: r.id, name: r.name, description: r.description, isPublic: toBool(r.is_public), qosSpecsId: r.qos_specs_id, extraSpecs: specs, createdAt: r.created_at, updatedAt: r.updated_at };
}

function encryptionFromRow(r: EncryptionTable): Encryption {
  return { volumeTypeId: r.volume_type_id, encryptionId: r.encryption_id, provider: r.provider, controlLocation: r.control_location, cipher: r.cipher, keySize: r.key_size === null ? null : Number(r.key_size), createdAt: r.created_at, updatedAt: r.updated_at };
}

/** Read and write volume types. */
export class VolumeTypeStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  async #specs(ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
    if (ids.length === 0) return out;
    const rows = await this.#db.selectFrom('volume_type_extra_specs').selectAll().where('volume_type_id', 'in', ids).execute();
    for (const r of rows) {
      const m = out.get(r.volume_type_id);
      if (m !== undefined) m[r.key] = r.value;
    }
    return out;
  }

  /** Create; 409 VolumeTypeExists on a duplicate name. */
  async create(input: { name: string; description: string | null; isPublic: boolean; extraSpecs: Readonly<Record<string, string>> }): Promise<VolumeType> {
    const row: VolumeTypeTable = { id: randomUUID(), name: input.name, description: input.description, is_public: input.isPublic, qos_specs_id: null, created_at: nowIso(), updated_at: null };
    try {
      await this.#db.insertInto('volume_types').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Volume Type ${input.name} already exists.`, { name: input.name }, 'VolumeTypeExists');
      throw err;
    }
    if (Object.keys(input.extraSpecs).length > 0) await this.setExtraSpecs(row.id, input.extraSpecs);
    return fromRow(row, { ...input.extraSpecs });
  }

  async find(id: string): Promise<VolumeType | undefined> {
    const r = await this.#db.selectFrom('volume_types').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r, (await this.#specs([r.id])).get(r.id) ?? {});
  }

  async findByName(name: string): Promise<VolumeType | undefined> {
    const r = await this.#db.selectFrom('volume_types').selectAll().where('name', '=', name).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r, (await this.#specs([r.id])).get(r.id) ?? {});
  }

  /** By id; VolumeTypeNotFound when missing. */
  async get(id: string): Promise<VolumeType> {
    const t = await this.find(id);
    if (t === undefined) throw new VolumeTypeNotFound(id);
    return t;
  }

  /** By id, or by name when no type has that id (cinder accepts both in `volume_type`). */
  async getByIdOrName(idOrName: string): Promise<VolumeType> {
    const t = (await this.find(idOrName)) ?? (await this.findByName(idOrName));
    if (t === undefined) throw new VolumeTypeNotFoundByName(idOrName);
    return t;
  }

  /** Types by id, for views. */
  async byIds(ids: readonly string[]): Promise<Map<string, VolumeType>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rows = await this.#db.selectFrom('volume_types').selectAll().where('id', 'in', unique).execute();
    const specs = await this.#specs(rows.map((r) => r.id));
    return new Map(rows.map((r) => [r.id, fromRow(r, specs.get(r.id) ?? {})]));
  }

  /** Every type; with `projectId`, only public types and private ones that project may use. */
  async list(filter: { isPublic?: boolean; projectId?: string } = {}): Promise<VolumeType[]> {
    let q = this.#db.selectFrom('volume_types').selectAll();
    if (filter.isPublic !== undefined && filter.projectId === undefined) q = q.where('is_public', '=', filter.isPublic);
    let rows = await q.execute();
    if (filter.projectId !== undefined) {
      const access = new Set((await this.#db.selectFrom('volume_type_projects').select('volume_type_id').where('project_id', '=', filter.projectId).execute()).map((r) => r.volume_type_id));
      rows = rows.filter((r) => {
        const pub = toBool(r.is_public);
        if (filter.isPublic === true) return pub;
        if (filter.isPublic === false) return !pub && access.has(r.id);
        return pub || access.has(r.id);
      });
    }
    const specs = await this.#specs(rows.map((r) => r.id));
    return rows.map((r) => fromRow(r, specs.get(r.id) ?? {}));
  }

  /** Update name, description or visibility; 409 on a duplicate name. */
  async update(id: string, set: { name?: string; description?: string | null; isPublic?: boolean }): Promise<VolumeType> {
    const values: Partial<VolumeTypeTable> = { updated_at: nowIso() };
    if (set.name !== undefined) values.name = set.name;
    if (set.description !== undefined) values.description = set.description;
    if (set.isPublic !== undefined) values.is_public = set.isPublic;
    try {
      await this.#db.updateTable('volume_types').set(values).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Volume Type ${set.name ?? ''} already exists.`, { name: set.name ?? '' }, 'VolumeTypeExists');
      throw err;
    }
    return this.get(id);
  }

  /** Remove the type and what hangs off it. */
  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('volume_type_extra_specs').where('volume_type_id', '=', id).execute();
    await this.#db.deleteFrom('volume_type_projects').where('volume_type_id', '=', id).execute();
    await this.#db.deleteFrom('volume_type_encryption').where('volume_type_id', '=', id).execute();
    await this.#db.deleteFrom('default_volume_types').where('volume_type_id', '=', id).execute();
    await this.#db.deleteFrom('volume_types').where('id', '=', id).execute();
  }

  /** Create or overwrite extra specs; returns all of them. */
  async setExtraSpecs(id: string, specs: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    const keys = Object.keys(specs);
    if (keys.length > 0) {
      await this.#db.deleteFrom('volume_type_extra_specs').where('volume_type_id', '=', id).where('key', 'in', keys).execute();
      await this.#db.insertInto('volume_type_extra_specs').values(keys.map((key) => ({ volume_type_id: id, key, value: specs[key] ?? '' }))).execute();
    }
    return (await this.#specs([id])).get(id) ?? {};
  }

  /** Delete one key; false when it was not there. */
  async deleteExtraSpec(id: string, key: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('volume_type_extra_specs').where('volume_type_id', '=', id).where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Projects a private type is shared with. */
  async accessList(id: string): Promise<string[]> {
    return (await this.#db.selectFrom('volume_type_projects').select('project_id').where('volume_type_id', '=', id).execute()).map((r) => r.project_id);
  }

  /** Share with a project; 409 VolumeTypeAccessExists when it already is. */
  async addAccess(id: string, projectId: string): Promise<void> {
    try {
      await this.#db.insertInto('volume_type_projects').values({ volume_type_id: id, project_id: projectId }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Volume type access for ${id} / ${projectId} combination already exists.`, { volumeTypeId: id, projectId }, 'VolumeTypeAccessExists');
      throw err;
    }
  }

  /** Unshare; false when it was not shared. */
  async removeAccess(id: string, projectId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('volume_type_projects').where('volume_type_id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** True when the project may use the type (public, or shared with it). */
  async canUse(type: VolumeType, projectId: string | undefined): Promise<boolean> {
    if (type.isPublic) return true;
    if (projectId === undefined) return false;
    const r = await this.#db.selectFrom('volume_type_projects').select('project_id').where('volume_type_id', '=', type.id).where('project_id', '=', projectId).executeTakeFirst();
    return r !== undefined;
  }

  async getEncryption(id: string): Promise<Encryption | undefined> {
    const r = await this.#db.selectFrom('volume_type_encryption').selectAll().where('volume_type_id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : encryptionFromRow(r);
  }

  async setEncryption(id: string, e: { provider: string; controlLocation: string; cipher: string | null; keySize: number | null }): Promise<Encryption> {
    const existing = await this.getEncryption(id);
    const now = nowIso();
    if (existing === undefined) {
      await this.#db.insertInto('volume_type_encryption').values({ volume_type_id: id, encryption_id: randomUUID(), provider: e.provider, control_location: e.controlLocation, cipher: e.cipher, key_size: e.keySize, created_at: now, updated_at: null }).execute();
    } else {
      await this.#db.updateTable('volume_type_encryption').set({ provider: e.provider, control_location: e.controlLocation, cipher: e.cipher, key_size: e.keySize, updated_at: now }).where('volume_type_id', '=', id).execute();
    }
    return (await this.getEncryption(id)) as Encryption;
  }

  async deleteEncryption(id: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('volume_type_encryption').where('volume_type_id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** A project's default type override (3.62), if any. */
  async projectDefault(projectId: string): Promise<string | undefined> {
    const r = await this.#db.selectFrom('default_volume_types').select('volume_type_id').where('project_id', '=', projectId).executeTakeFirst();
    return r?.volume_type_id;
  }

  async listProjectDefaults(): Promise<Array<{ projectId: string; volumeTypeId: string }>> {
    return (await this.#db.selectFrom('default_volume_types').selectAll().execute()).map((r) => ({ projectId: r.project_id, volumeTypeId: r.volume_type_id }));
  }

  async setProjectDefault(projectId: string, volumeTypeId: string): Promise<void> {
    await this.#db.deleteFrom('default_volume_types').where('project_id', '=', projectId).execute();
    await this.#db.insertInto('default_volume_types').values({ project_id: projectId, volume_type_id: volumeTypeId }).execute();
  }

  async deleteProjectDefault(projectId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('default_volume_types').where('project_id', '=', projectId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Associate (or with null dissociate) a QoS spec. */
  async setQos(id: string, qosSpecsId: string | null): Promise<void> {
    await this.#db.updateTable('volume_types').set({ qos_specs_id: qosSpecsId }).where('id', '=', id).execute();
  }

  /** Types associated with a QoS spec. */
  async withQos(qosSpecsId: string): Promise<VolumeType[]> {
    const rows = await this.#db.selectFrom('volume_types').selectAll().where('qos_specs_id', '=', qosSpecsId).execute();
    const specs = await this.#specs(rows.map((r) => r.id));
    return rows.map((r) => fromRow(r, specs.get(r.id) ?? {}));
  }
}
