/** Endpoint filtering (OS-EP-FILTER): endpoint groups and which endpoints or groups a project's catalog is limited to. */
import { NotFound } from '@strata/errors';
import { jsonColumn, parseJsonColumn } from '@strata/db';
import type { EndpointGroupTable } from '../db/schema.js';
import type { Endpoint } from './catalog.js';
import { newId, type IdentityDb } from './common.js';

/** The endpoint attributes a group can select on. */
export interface EndpointGroupFilters {
  readonly interface?: string;
  readonly service_id?: string;
  readonly region_id?: string;
}

/** A named set of endpoints, defined by filters on their attributes. */
export interface EndpointGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly filters: EndpointGroupFilters;
}

const fromRow = (r: EndpointGroupTable): EndpointGroup => ({ id: r.id, name: r.name, description: r.description, filters: parseJsonColumn<EndpointGroupFilters>(r.filters, {}) });

/** True when the endpoint has every attribute the filters name. */
export function endpointMatches(e: Endpoint, f: EndpointGroupFilters): boolean {
  if (f.interface !== undefined && e.interface !== f.interface) return false;
  if (f.service_id !== undefined && e.serviceId !== f.service_id) return false;
  if (f.region_id !== undefined && e.regionId !== f.region_id) return false;
  return true;
}

/** Read and write endpoint groups and project associations. */
export class EndpointFilterStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  // ---- endpoint groups -------------------------------------------------------------

  /** Create a group. */
  async createGroup(input: { name: string; description: string; filters: EndpointGroupFilters }): Promise<EndpointGroup> {
    const row: EndpointGroupTable = { id: newId(), name: input.name, description: input.description, filters: jsonColumn(input.filters) };
    await this.#db.insertInto('endpoint_groups').values(row).execute();
    return fromRow(row);
  }

  /** The group; 404 when missing. */
  async getGroup(id: string): Promise<EndpointGroup> {
    const r = await this.#db.selectFrom('endpoint_groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Could not find Endpoint Group: ${id}.`, { id }, 'EndpointGroupNotFound');
    return fromRow(r);
  }

  /** Groups, optionally by name or ids. */
  async listGroups(filter: { name?: string; ids?: readonly string[] } = {}): Promise<EndpointGroup[]> {
    let q = this.#db.selectFrom('endpoint_groups').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(fromRow);
  }

  /** Update given fields (filters are replaced whole); 404 when missing. */
  async updateGroup(id: string, input: { name?: string; description?: string; filters?: EndpointGroupFilters }): Promise<EndpointGroup> {
    await this.getGroup(id);
    const set: Partial<EndpointGroupTable> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.filters !== undefined) set.filters = jsonColumn(input.filters);
    if (Object.keys(set).length > 0) await this.#db.updateTable('endpoint_groups').set(set).where('id', '=', id).execute();
    return this.getGroup(id);
  }

  /** Delete a group and its project associations; 404 when missing. */
  async deleteGroup(id: string): Promise<void> {
    await this.getGroup(id);
    await this.#db.deleteFrom('project_endpoint_groups').where('endpoint_group_id', '=', id).execute();
    await this.#db.deleteFrom('endpoint_groups').where('id', '=', id).execute();
  }

  // ---- group <-> project -----------------------------------------------------------

  /** Associate a group with a project (idempotent). */
  async addGroupToProject(groupId: string, projectId: string): Promise<void> {
    if (await this.groupInProject(groupId, projectId)) return;
    await this.#db.insertInto('project_endpoint_groups').values({ endpoint_group_id: groupId, project_id: projectId }).execute();
  }

  /** True when the group is associated with the project. */
  async groupInProject(groupId: string, projectId: string): Promise<boolean> {
    const r = await this.#db.selectFrom('project_endpoint_groups').select('project_id').where('endpoint_group_id', '=', groupId).where('project_id', '=', projectId).executeTakeFirst();
    return r !== undefined;
  }

  /** Remove a group association; false when there was none. */
  async removeGroupFromProject(groupId: string, projectId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('project_endpoint_groups').where('endpoint_group_id', '=', groupId).where('project_id', '=', projectId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Group ids associated with a project. */
  async groupIdsOfProject(projectId: string): Promise<string[]> {
    return (await this.#db.selectFrom('project_endpoint_groups').select('endpoint_group_id').where('project_id', '=', projectId).execute()).map((r) => r.endpoint_group_id);
  }

  /** Project ids associated with a group. */
  async projectIdsOfGroup(groupId: string): Promise<string[]> {
    return (await this.#db.selectFrom('project_endpoint_groups').select('project_id').where('endpoint_group_id', '=', groupId).execute()).map((r) => r.project_id);
  }

  // ---- endpoint <-> project --------------------------------------------------------

  /** Associate an endpoint with a project (idempotent). */
  async addEndpointToProject(endpointId: string, projectId: string): Promise<void> {
    if (await this.endpointInProject(endpointId, projectId)) return;
    await this.#db.insertInto('project_endpoints').values({ endpoint_id: endpointId, project_id: projectId }).execute();
  }

  /** True when the endpoint is directly associated with the project. */
  async endpointInProject(endpointId: string, projectId: string): Promise<boolean> {
    const r = await this.#db.selectFrom('project_endpoints').select('project_id').where('endpoint_id', '=', endpointId).where('project_id', '=', projectId).executeTakeFirst();
    return r !== undefined;
  }

  /** Remove a direct association; false when there was none. */
  async removeEndpointFromProject(endpointId: string, projectId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('project_endpoints').where('endpoint_id', '=', endpointId).where('project_id', '=', projectId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Endpoint ids directly associated with a project. */
  async endpointIdsOfProject(projectId: string): Promise<string[]> {
    return (await this.#db.selectFrom('project_endpoints').select('endpoint_id').where('project_id', '=', projectId).execute()).map((r) => r.endpoint_id);
  }

  /** Project ids an endpoint is directly associated with. */
  async projectIdsOfEndpoint(endpointId: string): Promise<string[]> {
    return (await this.#db.selectFrom('project_endpoints').select('project_id').where('endpoint_id', '=', endpointId).execute()).map((r) => r.project_id);
  }

  /** Every project that has any association (its catalog is filtered). */
  async filteredProjectIds(): Promise<Set<string>> {
    const a = await this.#db.selectFrom('project_endpoints').select('project_id').execute();
    const b = await this.#db.selectFrom('project_endpoint_groups').select('project_id').execute();
    return new Set([...a, ...b].map((r) => r.project_id));
  }

  /** Forget a project's or an endpoint's associations (it is being deleted). */
  async forget(kind: 'project' | 'endpoint', id: string): Promise<void> {
    if (kind === 'project') {
      await this.#db.deleteFrom('project_endpoints').where('project_id', '=', id).execute();
      await this.#db.deleteFrom('project_endpoint_groups').where('project_id', '=', id).execute();
    } else {
      await this.#db.deleteFrom('project_endpoints').where('endpoint_id', '=', id).execute();
    }
  }
}
