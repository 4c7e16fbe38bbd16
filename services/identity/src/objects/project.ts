/** Projects (tenants): owners of resources in every other service, arranged in a hierarchy under a domain. */
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { ProjectTable } from '../db/schema.js';
import { newId, readExtra, withDuplicateCheck, type Extra, type IdentityDb } from './common.js';

/** A project as the service sees it. */
export interface Project {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  /** The parent project, or null for a top-level project (whose parent is its domain). */
  readonly parentId: string | null;
  readonly description: string;
  readonly enabled: boolean;
  readonly tags: readonly string[];
  readonly extra: Extra;
  /** True for a domain seen through the project API (keystone's projects acting as domains). */
  readonly isDomain: boolean;
}

/** Fields a create or update may set. */
export interface ProjectInput {
  readonly name?: string;
  readonly description?: string;
  readonly enabled?: boolean;
  readonly tags?: readonly string[];
  readonly extra?: Extra;
}

/** Filters of GET /v3/projects. */
export interface ProjectFilter {
  readonly name?: string;
  readonly domainId?: string;
  readonly parentId?: string;
  readonly enabled?: boolean;
  readonly ids?: readonly string[];
}

function fromRow(r: ProjectTable): Project {
  return {
    id: r.id,
    name: r.name,
    domainId: r.domain_id,
    parentId: r.parent_id,
    description: r.description,
    enabled: toBool(r.enabled),
    tags: parseJsonColumn<string[]>(r.tags, []),
    extra: readExtra(r.extra),
    isDomain: false,
  };
}

/** Read and write projects. */
export class ProjectStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** Create; 409 on a duplicate name in the domain. */
  async create(input: ProjectInput & { name: string; domainId: string; parentId: string | null; id?: string }): Promise<Project> {
    const row: ProjectTable = {
      id: input.id ?? newId(),
      name: input.name,
      domain_id: input.domainId,
      parent_id: input.parentId,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      tags: jsonColumn(input.tags ?? []),
      extra: jsonColumn(input.extra ?? {}),
      created_at: nowIso(),
    };
    await withDuplicateCheck('project', input.name, () => this.#db.insertInto('projects').values(row).execute());
    return fromRow(row);
  }

  /** The project, or undefined. */
  async find(id: string): Promise<Project | undefined> {
    const r = await this.#db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  /** The project; 404 when missing. */
  async get(id: string): Promise<Project> {
    const p = await this.find(id);
    if (p === undefined) throw new NotFound(`Could not find project: ${id}.`, { id }, 'ProjectNotFound');
    return p;
  }

  /** By name within a domain, or undefined. */
  async findByName(name: string, domainId: string): Promise<Project | undefined> {
    const r = await this.#db.selectFrom('projects').selectAll().where('name', '=', name).where('domain_id', '=', domainId).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  /** List with keystone's filters, ordered by name. */
  async list(filter: ProjectFilter = {}): Promise<Project[]> {
    let q = this.#db.selectFrom('projects').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.parentId !== undefined) q = q.where('parent_id', '=', filter.parentId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(fromRow);
  }

  /** Direct children of a project. */
  async children(id: string): Promise<Project[]> {
    return this.list({ parentId: id });
  }

  /** Update given fields. */
  async update(id: string, input: ProjectInput): Promise<Project> {
    const current = await this.get(id);
    const set: Partial<ProjectTable> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.tags !== undefined) set.tags = jsonColumn(input.tags);
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) {
      await withDuplicateCheck('project', input.name ?? current.name, () => this.#db.updateTable('projects').set(set).where('id', '=', id).execute());
    }
    return this.get(id);
  }

  /** Delete the row. */
  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('projects').where('id', '=', id).execute();
  }

  /** Ids of the project and all its ancestors, nearest first (for inherited assignments). */
  async ancestors(id: string): Promise<Project[]> {
    const out: Project[] = [];
    let cur = await this.find(id);
    const seen = new Set<string>();
    while (cur?.parentId != null && !seen.has(cur.parentId)) {
      seen.add(cur.parentId);
      cur = await this.find(cur.parentId);
      if (cur !== undefined) out.push(cur);
    }
    return out;
  }
}
