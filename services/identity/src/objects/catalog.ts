/** The service catalog: regions, services and endpoints, from which every token's catalog is built. */
import { NotFound, Conflict } from '@strata/errors';
import { jsonColumn, toBool, isUniqueViolation } from '@strata/db';
import type { EndpointTable, RegionTable, ServiceTable } from '../db/schema.js';
import { newId, readExtra, type Extra, type IdentityDb } from './common.js';

export interface Region {
  readonly id: string;
  readonly description: string;
  readonly parentRegionId: string | null;
  readonly extra: Extra;
}

export interface Service {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly extra: Extra;
}

/** The three interfaces an endpoint can serve. */
export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface Endpoint {
  readonly id: string;
  readonly serviceId: string;
  readonly interface: EndpointInterface;
  readonly url: string;
  readonly regionId: string | null;
  readonly enabled: boolean;
  readonly extra: Extra;
}

const regionFromRow = (r: RegionTable): Region => ({ id: r.id, description: r.description, parentRegionId: r.parent_region_id, extra: readExtra(r.extra) });
const serviceFromRow = (r: ServiceTable): Service => ({ id: r.id, type: r.type, name: r.name, description: r.description, enabled: toBool(r.enabled), extra: readExtra(r.extra) });
const endpointFromRow = (r: EndpointTable): Endpoint => ({
  id: r.id,
  serviceId: r.service_id,
  interface: r.interface as EndpointInterface,
  url: r.url,
  regionId: r.region_id,
  enabled: toBool(r.enabled),
  extra: readExtra(r.extra),
});

/** Read and write regions, services and endpoints. */
export class CatalogStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  // ---- regions --------------------------------------------------------------------
  async createRegion(input: { id?: string; description?: string; parentRegionId?: string | null; extra?: Extra }): Promise<Region> {
    const row: RegionTable = { id: input.id ?? newId(), description: input.description ?? '', parent_region_id: input.parentRegionId ?? null, extra: jsonColumn(input.extra ?? {}) };
    try {
      await this.#db.insertInto('regions').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store region - Duplicate ID, ${row.id}.`, { id: row.id }, 'DuplicateEntry');
      throw err;
    }
    return regionFromRow(row);
  }
  async findRegion(id: string): Promise<Region | undefined> {
    const r = await this.#db.selectFrom('regions').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : regionFromRow(r);
  }
  async getRegion(id: string): Promise<Region> {
    const r = await this.findRegion(id);
    if (r === undefined) throw new NotFound(`Could not find region: ${id}.`, { id }, 'RegionNotFound');
    return r;
  }
  async listRegions(filter: { parentRegionId?: string } = {}): Promise<Region[]> {
    let q = this.#db.selectFrom('regions').selectAll().orderBy('id');
    if (filter.parentRegionId !== undefined) q = q.where('parent_region_id', '=', filter.parentRegionId);
    return (await q.execute()).map(regionFromRow);
  }
  async updateRegion(id: string, input: { description?: string; parentRegionId?: string | null; extra?: Extra }): Promise<Region> {
    const current = await this.getRegion(id);
    const set: Partial<RegionTable> = {};
    if (input.description !== undefined) set.description = input.description;
    if (input.parentRegionId !== undefined) set.parent_region_id = input.parentRegionId;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) await this.#db.updateTable('regions').set(set).where('id', '=', id).execute();
    return this.getRegion(id);
  }
  async deleteRegion(id: string): Promise<void> {
    await this.#db.deleteFrom('regions').where('id', '=', id).execute();
  }

  // ---- services -------------------------------------------------------------------
  async createService(input: { type: string; name?: string; description?: string; enabled?: boolean; extra?: Extra; id?: string }): Promise<Service> {
    const row: ServiceTable = { id: input.id ?? newId(), type: input.type, name: input.name ?? '', description: input.description ?? '', enabled: input.enabled ?? true, extra: jsonColumn(input.extra ?? {}) };
    await this.#db.insertInto('services').values(row).execute();
    return serviceFromRow(row);
  }
  async getService(id: string): Promise<Service> {
    const r = await this.#db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Could not find service: ${id}.`, { id }, 'ServiceNotFound');
    return serviceFromRow(r);
  }
  async listServices(filter: { type?: string; name?: string } = {}): Promise<Service[]> {
    let q = this.#db.selectFrom('services').selectAll().orderBy('type');
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    return (await q.execute()).map(serviceFromRow);
  }
  async updateService(id: string, input: { type?: string; name?: string; description?: string; enabled?: boolean; extra?: Extra }): Promise<Service> {
    const current = await this.getService(id);
    const set: Partial<ServiceTable> = {};
    if (input.type !== undefined) set.type = input.type;
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) await this.#db.updateTable('services').set(set).where('id', '=', id).execute();
    return this.getService(id);
  }
  /** Delete a service and its endpoints. */
  async deleteService(id: string): Promise<void> {
    await this.#db.deleteFrom('endpoints').where('service_id', '=', id).execute();
    await this.#db.deleteFrom('services').where('id', '=', id).execute();
  }

  // ---- endpoints ------------------------------------------------------------------
  async createEndpoint(input: { serviceId: string; interface: EndpointInterface; url: string; regionId?: string | null; enabled?: boolean; extra?: Extra }): Promise<Endpoint> {
    const row: EndpointTable = {
      id: newId(),
      service_id: input.serviceId,
      interface: input.interface,
      url: input.url,
      region_id: input.regionId ?? null,
      enabled: input.enabled ?? true,
      extra: jsonColumn(input.extra ?? {}),
    };
    await this.#db.insertInto('endpoints').values(row).execute();
    return endpointFromRow(row);
  }
  async getEndpoint(id: string): Promise<Endpoint> {
    const r = await this.#db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Could not find endpoint: ${id}.`, { id }, 'EndpointNotFound');
    return endpointFromRow(r);
  }
  async listEndpoints(filter: { serviceId?: string; interface?: string; regionId?: string } = {}): Promise<Endpoint[]> {
    let q = this.#db.selectFrom('endpoints').selectAll().orderBy('id');
    if (filter.serviceId !== undefined) q = q.where('service_id', '=', filter.serviceId);
    if (filter.interface !== undefined) q = q.where('interface', '=', filter.interface);
    if (filter.regionId !== undefined) q = q.where('region_id', '=', filter.regionId);
    return (await q.execute()).map(endpointFromRow);
  }
  async updateEndpoint(id: string, input: { serviceId?: string; interface?: EndpointInterface; url?: string; regionId?: string | null; enabled?: boolean; extra?: Extra }): Promise<Endpoint> {
    const current = await this.getEndpoint(id);
    const set: Partial<EndpointTable> = {};
    if (input.serviceId !== undefined) set.service_id = input.serviceId;
    if (input.interface !== undefined) set.interface = input.interface;
    if (input.url !== undefined) set.url = input.url;
    if (input.regionId !== undefined) set.region_id = input.regionId;
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) await this.#db.updateTable('endpoints').set(set).where('id', '=', id).execute();
    return this.getEndpoint(id);
  }
  async deleteEndpoint(id: string): Promise<void> {
    await this.#db.deleteFrom('endpoints').where('id', '=', id).execute();
  }
}
