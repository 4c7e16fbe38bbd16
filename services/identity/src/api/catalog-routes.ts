/** /v3/regions, /v3/services and /v3/endpoints: the catalog's admin API. */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import type { EndpointInterface } from '../objects/catalog.js';
import { base, callerToken, extraOf, requireAdmin, schemas, selfUrl } from './route-helpers.js';
import { collection, endpointView, regionView, serviceView } from './identity-views.js';

const regionBody = { type: 'object', required: ['region'], properties: { region: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 255 }, description: schemas.description, parent_region_id: { type: ['string', 'null'] } } } } };
const serviceBody = (required: string[]) => ({
  type: 'object',
  required: ['service'],
  properties: { service: { type: 'object', required, properties: { type: { type: 'string', minLength: 1, maxLength: 255 }, name: { type: 'string', maxLength: 255 }, description: schemas.description, enabled: schemas.enabled } } },
});
const endpointBody = (required: string[]) => ({
  type: 'object',
  required: ['endpoint'],
  properties: {
    endpoint: {
      type: 'object',
      required,
      properties: {
        service_id: schemas.id,
        interface: { type: 'string', enum: ['public', 'internal', 'admin'] },
        url: { type: 'string', minLength: 1, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:(//)?\\S+$' },
        region_id: { type: ['string', 'null'] },
        region: { type: ['string', 'null'] },
        enabled: schemas.enabled,
      },
    },
  },
});

/** Register catalog routes. */
export function registerCatalogRoutes(app: FastifyInstance, api: IdentityApi): void {
  // ---- regions --------------------------------------------------------------------
  const createRegion = async (id: string | undefined, r: Record<string, unknown> & { description?: string | null; parent_region_id?: string | null }) => {
    if (r.parent_region_id != null) await api.catalog.getRegion(r.parent_region_id).catch(() => {
      throw new BadRequest(`Parent region ${r.parent_region_id} not found.`);
    });
    const created = await api.catalog.createRegion({
      ...(id !== undefined ? { id } : {}),
      description: r.description ?? '',
      parentRegionId: r.parent_region_id ?? null,
      extra: extraOf(r, ['id', 'description', 'parent_region_id']),
    });
    api.invalidate();
    return created;
  };
  app.post('/v3/regions', { schema: { body: regionBody } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_region');
    const r = (request.body as { region: Record<string, unknown> & { id?: string } }).region;
    return reply.code(201).send({ region: regionView(await createRegion(r.id, r), base(request)) });
  });
  app.put('/v3/regions/:id', { schema: { body: regionBody } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_region');
    const { id } = request.params as { id: string };
    const r = (request.body as { region: Record<string, unknown> & { id?: string } }).region;
    if (r.id !== undefined && r.id !== id) throw new BadRequest('The region id in the body does not match the URL.');
    return reply.code(201).send({ region: regionView(await createRegion(id, r), base(request)) });
  });
  app.get('/v3/regions', async (request) => {
    await callerToken(api, request);
    const parent = queryString(request.query as Query, 'parent_region_id');
    const regions = await api.catalog.listRegions(parent !== undefined ? { parentRegionId: parent } : {});
    return collection('regions', regions.map((r) => regionView(r, base(request))), selfUrl(request));
  });
  app.get('/v3/regions/:id', async (request) => {
    await callerToken(api, request);
    return { region: regionView(await api.catalog.getRegion((request.params as { id: string }).id), base(request)) };
  });
  app.patch('/v3/regions/:id', { schema: { body: regionBody } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_region');
    const { id } = request.params as { id: string };
    const r = (request.body as { region: Record<string, unknown> & { description?: string | null; parent_region_id?: string | null } }).region;
    if (r.parent_region_id === id) throw new BadRequest('A region cannot be its own parent.');
    if (r.parent_region_id != null) await api.catalog.getRegion(r.parent_region_id).catch(() => {
      throw new BadRequest(`Parent region ${r.parent_region_id} not found.`);
    });
    const updated = await api.catalog.updateRegion(id, {
      ...(r.description !== undefined ? { description: r.description ?? '' } : {}),
      ...(r.parent_region_id !== undefined ? { parentRegionId: r.parent_region_id } : {}),
      extra: extraOf(r, ['id', 'description', 'parent_region_id']),
    });
    api.invalidate();
    return { region: regionView(updated, base(request)) };
  });
  app.delete('/v3/regions/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_region');
    await api.deleteRegion((request.params as { id: string }).id);
    return reply.code(204).send();
  });

  // ---- services -------------------------------------------------------------------
  app.post('/v3/services', { schema: { body: serviceBody(['type']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_service');
    const s = (request.body as { service: Record<string, unknown> & { type: string; name?: string; description?: string | null; enabled?: boolean } }).service;
    const created = await api.catalog.createService({ type: s.type, name: s.name ?? '', description: s.description ?? '', enabled: s.enabled ?? true, extra: extraOf(s, ['type', 'name', 'description', 'enabled', 'id']) });
    api.invalidate();
    return reply.code(201).send({ service: serviceView(created, base(request)) });
  });
  app.get('/v3/services', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_services');
    const q = request.query as Query;
    const type = queryString(q, 'type');
    const name = queryString(q, 'name');
    const services = await api.catalog.listServices({ ...(type !== undefined ? { type } : {}), ...(name !== undefined ? { name } : {}) });
    return collection('services', services.map((s) => serviceView(s, base(request))), selfUrl(request));
  });
  app.get('/v3/services/:id', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_service');
    return { service: serviceView(await api.catalog.getService((request.params as { id: string }).id), base(request)) };
  });
  app.patch('/v3/services/:id', { schema: { body: serviceBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_service');
    const s = (request.body as { service: Record<string, unknown> & { type?: string; name?: string; description?: string | null; enabled?: boolean } }).service;
    const updated = await api.catalog.updateService((request.params as { id: string }).id, {
      ...(s.type !== undefined ? { type: s.type } : {}),
      ...(s.name !== undefined ? { name: s.name } : {}),
      ...(s.description !== undefined ? { description: s.description ?? '' } : {}),
      ...(s.enabled !== undefined ? { enabled: s.enabled } : {}),
      extra: extraOf(s, ['type', 'name', 'description', 'enabled', 'id']),
    });
    api.invalidate();
    return { service: serviceView(updated, base(request)) };
  });
  app.delete('/v3/services/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_service');
    await api.deleteService((request.params as { id: string }).id);
    return reply.code(204).send();
  });

  // ---- endpoints ------------------------------------------------------------------
  app.post('/v3/endpoints', { schema: { body: endpointBody(['service_id', 'interface', 'url']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_endpoint');
    const e = (request.body as { endpoint: Record<string, unknown> & { service_id: string; interface: EndpointInterface; url: string; region_id?: string | null; region?: string | null; enabled?: boolean } }).endpoint;
    const regionId = e.region_id ?? e.region ?? null;
    if (e.region_id == null && e.region != null) await api.ensureLegacyRegion(e.region);
    await api.checkEndpointRefs(e.service_id, regionId);
    const created = await api.catalog.createEndpoint({ serviceId: e.service_id, interface: e.interface, url: e.url, regionId, enabled: e.enabled ?? true, extra: extraOf(e, ['service_id', 'interface', 'url', 'region_id', 'region', 'enabled', 'id']) });
    api.invalidate();
    return reply.code(201).send({ endpoint: endpointView(created, base(request)) });
  });
  app.get('/v3/endpoints', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_endpoints');
    const q = request.query as Query;
    const serviceId = queryString(q, 'service_id');
    const iface = queryString(q, 'interface');
    const regionId = queryString(q, 'region_id');
    const endpoints = await api.catalog.listEndpoints({ ...(serviceId !== undefined ? { serviceId } : {}), ...(iface !== undefined ? { interface: iface } : {}), ...(regionId !== undefined ? { regionId } : {}) });
    return collection('endpoints', endpoints.map((e) => endpointView(e, base(request))), selfUrl(request));
  });
  app.get('/v3/endpoints/:id', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_endpoint');
    return { endpoint: endpointView(await api.catalog.getEndpoint((request.params as { id: string }).id), base(request)) };
  });
  app.patch('/v3/endpoints/:id', { schema: { body: endpointBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_endpoint');
    const e = (request.body as { endpoint: Record<string, unknown> & { service_id?: string; interface?: EndpointInterface; url?: string; region_id?: string | null; region?: string | null; enabled?: boolean } }).endpoint;
    const regionId = e.region_id !== undefined ? e.region_id : e.region;
    if (e.region_id == null && e.region != null) await api.ensureLegacyRegion(e.region);
    await api.checkEndpointRefs(e.service_id, regionId);
    const updated = await api.catalog.updateEndpoint((request.params as { id: string }).id, {
      ...(e.service_id !== undefined ? { serviceId: e.service_id } : {}),
      ...(e.interface !== undefined ? { interface: e.interface } : {}),
      ...(e.url !== undefined ? { url: e.url } : {}),
      ...(regionId !== undefined ? { regionId } : {}),
      ...(e.enabled !== undefined ? { enabled: e.enabled } : {}),
      extra: extraOf(e, ['service_id', 'interface', 'url', 'region_id', 'region', 'enabled', 'id']),
    });
    api.invalidate();
    return { endpoint: endpointView(updated, base(request)) };
  });
  app.delete('/v3/endpoints/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_endpoint');
    await api.deleteEndpoint((request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
