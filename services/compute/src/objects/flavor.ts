/**
 * Flavors, their extra specs and private-flavor access. Version history:
 * 1.0 - initial (description from 2.55, extra_specs in the body from 2.61).
 */
import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '@strata/errors';
import { isUniqueViolation, jsonColumn, nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { ComputeDatabase, FlavorTable } from '../db/schema.js';
import type { FlavorSnapshot } from './instance.js';

/** A flavor. */
export interface Flavor extends FlavorSnapshot {
  readonly disabled: boolean;
  readonly createdAt: string;
}

/** Turn a row into a Flavor. */
export function flavorFromRow(r: FlavorTable): Flavor {
  return {
    id: r.id,
    name: r.name,
    memoryMb: Number(r.memory_mb),
    vcpus: Number(r.vcpus),
    rootGb: Number(r.root_gb),
    ephemeralGb: Number(r.ephemeral_gb),
    swap: Number(r.swap),
    rxtxFactor: Number(r.rxtx_factor),
    isPublic: toBool(r.is_public),
    disabled: toBool(r.disabled),
    description: r.description,
    extraSpecs: parseJsonColumn(r.extra_specs, {}),
    createdAt: r.created_at,
  };
}

/** The snapshot an instance keeps of its flavor. */
export function snapshotOf(f: Flavor): FlavorSnapshot {
  return { id: f.id, name: f.name, memoryMb: f.memoryMb, vcpus: f.vcpus, rootGb: f.rootGb, ephemeralGb: f.ephemeralGb, swap: f.swap, rxtxFactor: f.rxtxFactor, isPublic: f.isPublic, description: f.description, extraSpecs: f.extraSpecs };
}

/** Input of a new flavor: every attribute but extra specs, which start empty and are set through os-extra_specs. */
export type NewFlavor = Omit<FlavorSnapshot, 'extraSpecs'>;

/** Reads and writes flavors. */
export class FlavorStore {
  readonly #db: Kysely<ComputeDatabase>;
  constructor(db: Kysely<ComputeDatabase>) {
    this.#db = db;
  }

  /** Create; 409 FlavorExists / FlavorIdExists on a duplicate name or id. */
  async create(f: NewFlavor): Promise<Flavor> {
    const row: FlavorTable = {
      id: f.id,
      name: f.name,
      memory_mb: f.memoryMb,
      vcpus: f.vcpus,
      root_gb: f.rootGb,
      ephemeral_gb: f.ephemeralGb,
      swap: f.swap,
      rxtx_factor: f.rxtxFactor,
      is_public: f.isPublic,
      disabled: false,
      description: f.description,
      extra_specs: jsonColumn({}),
      created_at: nowIso(),
    };
    if ((await this.find(f.id)) !== undefined) throw new Conflict(`Flavor with ID ${f.id} already exists.`, { flavorId: f.id }, 'FlavorIdExists');
    try {
      await this.#db.insertInto('flavors').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Flavor with name ${f.name} already exists.`, { name: f.name }, 'FlavorExists');
      throw err;
    }
    return flavorFromRow(row);
  }

  async find(id: string): Promise<Flavor | undefined> {
    const r = await this.#db.selectFrom('flavors').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : flavorFromRow(r);
  }

  /** The flavor; 404 FlavorNotFound when missing. */
  async get(id: string): Promise<Flavor> {
    const f = await this.find(id);
    if (f === undefined) throw new NotFound(`Flavor ${id} could not be found.`, { flavorId: id }, 'FlavorNotFound');
    return f;
  }

  async list(): Promise<Flavor[]> {
    const rows = await this.#db.selectFrom('flavors').selectAll().execute();
    return rows.map(flavorFromRow);
  }

  async update(id: string, changes: { description?: string | null; extraSpecs?: Record<string, string> }): Promise<Flavor> {
    const set: Partial<FlavorTable> = {};
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.extraSpecs !== undefined) set.extra_specs = jsonColumn(changes.extraSpecs);
    if (Object.keys(set).length > 0) await this.#db.updateTable('flavors').set(set).where('id', '=', id).execute();
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    const res = await this.#db.deleteFrom('flavors').where('id', '=', id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound(`Flavor ${id} could not be found.`, { flavorId: id }, 'FlavorNotFound');
    await this.#db.deleteFrom('flavor_projects').where('flavor_id', '=', id).execute();
  }

  async projects(flavorId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('flavor_projects').select('project_id').where('flavor_id', '=', flavorId).execute();
    return rows.map((r) => r.project_id);
  }

  /** Flavor ids a project was given access to. */
  async accessibleTo(projectId: string): Promise<Set<string>> {
    const rows = await this.#db.selectFrom('flavor_projects').select('flavor_id').where('project_id', '=', projectId).execute();
    return new Set(rows.map((r) => r.flavor_id));
  }

  /** 409 FlavorAccessExists when already there. */
  async addProject(flavorId: string, projectId: string): Promise<void> {
    try {
      await this.#db.insertInto('flavor_projects').values({ flavor_id: flavorId, project_id: projectId }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`, {}, 'FlavorAccessExists');
      throw err;
    }
  }

  /** 404 FlavorAccessNotFound when not there. */
  async removeProject(flavorId: string, projectId: string): Promise<void> {
    const res = await this.#db.deleteFrom('flavor_projects').where('flavor_id', '=', flavorId).where('project_id', '=', projectId).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound(`Flavor access not found for ${flavorId} / ${projectId} combination.`, {}, 'FlavorAccessNotFound');
  }
}
