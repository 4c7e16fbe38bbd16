/** /v2.1/flavors: list, detail, show, manage (admin), extra specs, private flavor access. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextOf, type RequestContext } from '@strata/auth';
import { BadRequest, Conflict, NotFound } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import type { Flavor } from '../objects/flavor.js';
import { flavorDetailView, flavorIndexView } from './flavors-view.js';
import { validateExtraSpecs } from './extra-spec-validators.js';
import { afterMarker, baseOf, bodyObject, invalid, nameField, onlyKeys, str, versionOf } from './route-helpers.js';

async function visibleFlavors(api: ComputeApi, ctx: RequestContext, q: Query): Promise<Flavor[]> {
  let flavors = await api.flavors.list();
  const access = ctx.projectId !== undefined ? await api.flavors.accessibleTo(ctx.projectId) : new Set<string>();
  const isPublicRaw = queryString(q, 'is_public');
  if (ctx.isAdmin) {
    const p = isPublicRaw?.toLowerCase();
    if (p === 'none') {
      // every flavor
    } else if (p !== undefined && ['0', 'f', 'false', 'off', 'n', 'no'].includes(p)) flavors = flavors.filter((f) => !f.isPublic);
    else if (p === undefined || ['1', 't', 'true', 'on', 'y', 'yes'].includes(p)) flavors = flavors.filter((f) => f.isPublic || access.has(f.id));
    else throw new BadRequest(`Invalid is_public filter [${isPublicRaw}]`, {}, 'InvalidInput');
  } else {
    flavors = flavors.filter((f) => f.isPublic || access.has(f.id));
  }
  const minRam = queryString(q, 'minRam');
  if (minRam !== undefined) {
    if (!/^\d+$/.test(minRam)) throw new BadRequest(`Invalid minRam filter [${minRam}]`, {}, 'InvalidInput');
    flavors = flavors.filter((f) => f.memoryMb >= Number(minRam));
  }
  const minDisk = queryString(q, 'minDisk');
  if (minDisk !== undefined) {
    if (!/^\d+$/.test(minDisk)) throw new BadRequest(`Invalid minDisk filter [${minDisk}]`, {}, 'InvalidInput');
    flavors = flavors.filter((f) => f.rootGb >= Number(minDisk));
  }
  const key = queryString(q, 'sort_key') ?? 'flavorid';
  const dir = queryString(q, 'sort_dir') ?? 'asc';
  const getters: Record<string, (f: Flavor) => string | number> = { flavorid: (f) => f.id, id: (f) => f.id, name: (f) => f.name, memory_mb: (f) => f.memoryMb, vcpus: (f) => f.vcpus, root_gb: (f) => f.rootGb, swap: (f) => f.swap, ephemeral_gb: (f) => f.ephemeralGb, rxtx_factor: (f) => f.rxtxFactor, created_at: (f) => f.createdAt, description: (f) => f.description ?? '', disabled: (f) => Number(f.disabled), is_public: (f) => Number(f.isPublic) };
  const get = getters[key];
  if (get === undefined) throw new BadRequest(`Invalid sort key: ${key}`, {}, 'InvalidInput');
  if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`Invalid sort direction: ${dir}`, {}, 'InvalidInput');
  flavors.sort((a, b) => {
    const x = get(a);
    const y = get(b);
    return (x === y ? (a.id < b.id ? -1 : 1) : x < y ? -1 : 1) * (dir === 'asc' ? 1 : -1);
  });
  flavors = afterMarker(flavors, queryString(q, 'marker'), (f) => f.id);
  const limit = queryString(q, 'limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit)) throw new BadRequest('limit param must be an integer', {}, 'InvalidInput');
    flavors = flavors.slice(0, Number(limit));
  }
  return flavors;
}

function links(request: FastifyRequest, page: Flavor[], path: string): Record<string, unknown> {
  const limit = queryString(request.query as Query, 'limit');
  if (limit === undefined || page.length < Number(limit) || page.length === 0) return {};
  const q = new URLSearchParams(request.query as Record<string, string>);
  q.set('marker', page[page.length - 1]?.id ?? '');
  return { flavors_links: [{ rel: 'next', href: `${baseOf(request)}/v2.1/${path}?${q.toString()}` }] };
}

function num(obj: Record<string, unknown>, key: string, min: number, max: number, def: number | undefined, float = false): number {
  const v = obj[key];
  if (v === undefined || (v === '' && def !== undefined)) {
    if (def === undefined) throw invalid(key, `'${key}' is a required property`);
    return def;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || (!float && !Number.isInteger(n))) throw invalid(key, `${JSON.stringify(v)} is not of type 'integer', 'string'`);
  if (n < min || n > max) throw invalid(key, `${n} is out of range`);
  return n;
}

/** Register flavor routes. */
export function registerFlavorRoutes(app: FastifyInstance, api: ComputeApi): void {
  app.get('/v2.1/flavors', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:flavors');
    const page = await visibleFlavors(api, ctx, request.query as Query);
    return { flavors: page.map((f) => flavorIndexView(f, baseOf(request), versionOf(request))), ...links(request, page, 'flavors') };
  });
  app.get('/v2.1/flavors/detail', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:flavors');
    const page = await visibleFlavors(api, ctx, request.query as Query);
    return { flavors: page.map((f) => flavorDetailView(f, baseOf(request), versionOf(request))), ...links(request, page, 'flavors/detail') };
  });
  app.get('/v2.1/flavors/:id', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:flavors');
    const f = await api.flavors.get((request.params as { id: string }).id);
    return { flavor: flavorDetailView(f, baseOf(request), versionOf(request)) };
  });
  app.post('/v2.1/flavors', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:os-flavor-manage:create');
    const v = versionOf(request);
    const b = bodyObject(request, 'flavor');
    onlyKeys(b, ['name', 'id', 'ram', 'vcpus', 'disk', 'OS-FLV-EXT-DATA:ephemeral', 'swap', 'rxtx_factor', 'os-flavor-access:is_public', ...(v.atLeast('2.55') ? ['description'] : [])], 'flavor');
    const name = nameField(b, 'name', true) as string;
    let id: string;
    const rawId = b.id;
    if (rawId === undefined || rawId === null || rawId === 'auto') id = randomUUID();
    else if (typeof rawId === 'string' && /^[\w.\- ]{1,255}$/.test(rawId) && rawId.trim() === rawId) id = rawId;
    else if (typeof rawId === 'number' && Number.isInteger(rawId)) id = String(rawId);
    else throw invalid('id', `${JSON.stringify(rawId)} is not valid`);
    const isPublicRaw = b['os-flavor-access:is_public'];
    if (isPublicRaw !== undefined && typeof isPublicRaw !== 'boolean' && !['true', 'false', 'True', 'False'].includes(String(isPublicRaw))) throw invalid('os-flavor-access:is_public', `${JSON.stringify(isPublicRaw)} is not of type 'boolean'`);
    const created = await api.flavors.create({
      id,
      name,
      memoryMb: num(b, 'ram', 1, 2 ** 31 - 1, undefined),
      vcpus: num(b, 'vcpus', 1, 2 ** 31 - 1, undefined),
      rootGb: num(b, 'disk', 0, 2 ** 31 - 1, undefined),
      ephemeralGb: num(b, 'OS-FLV-EXT-DATA:ephemeral', 0, 2 ** 31 - 1, 0),
      swap: num(b, 'swap', 0, 2 ** 31 - 1, 0),
      rxtxFactor: num(b, 'rxtx_factor', 0.01, 3.4e38, 1, true),
      isPublic: isPublicRaw === undefined ? true : String(isPublicRaw).toLowerCase() === 'true',
      description: b.description === undefined ? null : (str(b, 'description', { max: 65535, nullable: true }) ?? null),
    });
    return { flavor: flavorDetailView(created, baseOf(request), v) };
  });
  app.put('/v2.1/flavors/:id', async (request) => {
    const ctx = contextOf(request);
    const v = versionOf(request);
    if (!v.atLeast('2.55')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    ctx.authorize('os_compute_api:os-flavor-manage:update');
    const b = bodyObject(request, 'flavor');
    onlyKeys(b, ['description'], 'flavor');
    if (!('description' in b)) throw invalid('description', "'description' is a required property");
    const f = await api.flavors.update((request.params as { id: string }).id, { description: str(b, 'description', { max: 65535, nullable: true }) ?? null });
    return { flavor: flavorDetailView(f, baseOf(request), v) };
  });
  app.delete('/v2.1/flavors/:id', async (request, reply) => {
    contextOf(request).authorize('os_compute_api:os-flavor-manage:delete');
    await api.flavors.delete((request.params as { id: string }).id);
    return reply.code(202).send();
  });

  // Extra specs.
  const validSpecs = (v: unknown): Record<string, string> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid('extra_specs', `${JSON.stringify(v)} is not of type 'object'`);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (k.length < 1 || k.length > 255 || !/^[\w.\-: ]+$/.test(k)) throw invalid('extra_specs', `'${k}' is not a valid key`);
      if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
      else if (typeof val === 'string' && val.length <= 255) out[k] = val;
      else throw invalid('extra_specs', `value of '${k}' is not valid`);
    }
    return out;
  };
  app.get('/v2.1/flavors/:id/os-extra_specs', async (request) => {
    contextOf(request).authorize('os_compute_api:os-flavor-extra-specs:index');
    return { extra_specs: { ...(await api.flavors.get((request.params as { id: string }).id)).extraSpecs } };
  });
  app.post('/v2.1/flavors/:id/os-extra_specs', async (request) => {
    contextOf(request).authorize('os_compute_api:os-flavor-extra-specs:manage');
    const f = await api.flavors.get((request.params as { id: string }).id);
    const specs = validSpecs((request.body as { extra_specs?: unknown } | undefined)?.extra_specs);
    if (versionOf(request).atLeast('2.86')) validateExtraSpecs(specs);
    const updated = await api.flavors.update(f.id, { extraSpecs: { ...f.extraSpecs, ...specs } });
    return { extra_specs: { ...updated.extraSpecs } };
  });
  app.get('/v2.1/flavors/:id/os-extra_specs/:key', async (request) => {
    contextOf(request).authorize('os_compute_api:os-flavor-extra-specs:index');
    const { id, key } = request.params as { id: string; key: string };
    const f = await api.flavors.get(id);
    const val = f.extraSpecs[key];
    if (val === undefined) throw new NotFound(`Flavor ${id} has no extra specs with key ${key}.`, {}, 'FlavorExtraSpecsNotFound');
    return { [key]: val };
  });
  app.put('/v2.1/flavors/:id/os-extra_specs/:key', async (request) => {
    contextOf(request).authorize('os_compute_api:os-flavor-extra-specs:manage');
    const { id, key } = request.params as { id: string; key: string };
    const f = await api.flavors.get(id);
    const spec = validSpecs(request.body);
    const keys = Object.keys(spec);
    if (keys.length > 1) throw new BadRequest('Request body contains too many items', {}, 'ValidationError');
    if (keys[0] !== key) throw new BadRequest('Request body and URI mismatch', {}, 'ValidationError');
    if (versionOf(request).atLeast('2.86')) validateExtraSpecs(spec);
    await api.flavors.update(f.id, { extraSpecs: { ...f.extraSpecs, ...spec } });
    return spec;
  });
  app.delete('/v2.1/flavors/:id/os-extra_specs/:key', async (request, reply) => {
    contextOf(request).authorize('os_compute_api:os-flavor-extra-specs:manage');
    const { id, key } = request.params as { id: string; key: string };
    const f = await api.flavors.get(id);
    if (f.extraSpecs[key] === undefined) throw new NotFound(`Flavor ${id} has no extra specs with key ${key}.`, {}, 'FlavorExtraSpecsNotFound');
    const specs = { ...f.extraSpecs };
    delete specs[key];
    await api.flavors.update(f.id, { extraSpecs: specs });
    return reply.code(200).send();
  });

  // Flavor access.
  const accessList = async (id: string): Promise<Array<{ flavor_id: string; tenant_id: string }>> => (await api.flavors.projects(id)).map((p) => ({ flavor_id: id, tenant_id: p }));
  app.get('/v2.1/flavors/:id/os-flavor-access', async (request) => {
    contextOf(request).authorize('os_compute_api:os-flavor-access');
    const f = await api.flavors.get((request.params as { id: string }).id);
    if (f.isPublic) throw new NotFound('Access list not available for public flavors.', {}, 'FlavorAccessNotFound');
    return { flavor_access: await accessList(f.id) };
  });
  app.post('/v2.1/flavors/:id/action', async (request) => {
    contextOf(request).authorize('os_compute_api:os-flavor-access');
    const f = await api.flavors.get((request.params as { id: string }).id);
    const b = (request.body ?? {}) as Record<string, unknown>;
    const add = b.addTenantAccess as { tenant?: unknown } | undefined;
    const remove = b.removeTenantAccess as { tenant?: unknown } | undefined;
    const target = add ?? remove;
    if (target === undefined) throw new BadRequest('There is no such action', {}, 'ValidationError');
    if (typeof target.tenant !== 'string' || target.tenant === '') throw invalid('tenant', "'tenant' is a required property");
    if (f.isPublic) throw new Conflict('Can not add access to a public flavor.', {}, 'FlavorAccessPublic');
    if (add !== undefined) await api.flavors.addProject(f.id, target.tenant);
    else await api.flavors.removeProject(f.id, target.tenant);
    return { flavor_access: await accessList(f.id) };
  });
}
