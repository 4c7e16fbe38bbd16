/** /volumes: create, list (+detail, summary), show, update, delete and metadata — the REST edge only. */
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { queryBool, queryString, type Query } from '@strata/http';
import { parseBool, parseMetadata, parseSize, parseText } from '../api-support.js';
import type { VolumeApi } from '../volume-api.js';
import { parseTimeFilter, VOLUME_SORT_KEYS } from '../volume-api.js';
import type { VolumeFilter } from '../objects/volume.js';
import { caller, listParams, member, metadataFilter, requireVersion, versionOf, viewOf } from './route-helpers.js';
import { volumeDetail, volumeList, volumeSummary } from './volumes-view.js';

type IdParams = { id: string; key: string };

const objectBody = (key: string) => ({ type: 'object', required: [key], properties: { [key]: { type: 'object' } } });

/** Read the list filters cinder supports from a query. */
function volumeFilter(q: Query, atLeast: (v: string) => boolean): VolumeFilter {
  const filter: Record<string, unknown> = {};
  const name = queryString(q, 'name') ?? queryString(q, 'display_name');
  if (name !== undefined) filter.name = name;
  const nameLike = queryString(q, 'name~');
  if (nameLike !== undefined && atLeast('3.34')) filter.nameLike = nameLike;
  const status = queryString(q, 'status');
  if (status !== undefined) filter.status = status;
  const statusLike = queryString(q, 'status~');
  if (statusLike !== undefined && atLeast('3.34')) filter.statusLike = statusLike;
  const bootable = queryString(q, 'bootable');
  if (bootable !== undefined) filter.bootable = atLeast('3.2') ? parseBool(bootable, 'bootable') : ['true', '1', 'yes', 't', 'on', 'y'].includes(bootable.toLowerCase());
  const project = queryString(q, 'project_id');
  if (project !== undefined) filter.projectId = project;
  const az = queryString(q, 'availability_zone');
  if (az !== undefined) filter.availabilityZone = az;
  const group = queryString(q, 'group_id');
  if (group !== undefined && atLeast('3.10')) filter.groupId = group;
  const md = metadataFilter(queryString(q, 'metadata'));
  if (md !== undefined) filter.metadata = md;
  const im = metadataFilter(queryString(q, 'glance_metadata') ?? queryString(q, 'image_metadata'));
  if (im !== undefined && atLeast('3.4')) filter.imageMetadata = im;
  const created = queryString(q, 'created_at');
  if (created !== undefined && atLeast('3.60')) filter.createdAt = parseTimeFilter(created, 'created_at');
  const updated = queryString(q, 'updated_at');
  if (updated !== undefined && atLeast('3.60')) filter.updatedAt = parseTimeFilter(updated, 'updated_at');
  return filter as VolumeFilter;
}

/** Register the volume routes on an app scoped to `/v3/{project_id}` (or `/v3`). */
export function registerVolumeRoutes(app: FastifyInstance, api: VolumeApi): void {
  app.post('/volumes', { schema: { body: objectBody('volume') } }, async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume:create', { projectId: ctx.projectId ?? null });
    const v = member(request, 'volume');
    const version = versionOf(request);
    if (version.atLeast('3.53')) {
      const known = new Set(['name', 'description', 'display_name', 'display_description', 'volume_type', 'metadata', 'snapshot_id', 'source_volid', 'consistencygroup_id', 'size', 'availability_zone', 'multiattach', 'image_id', 'imageRef', 'group_id', 'backup_id']);
      const extra = Object.keys(v).find((k) => !known.has(k));
      if (extra !== undefined) throw new BadRequest(`Invalid input for field/attribute volume. Additional properties are not allowed ('${extra}' was unexpected)`, {}, 'ValidationError');
    }
    if (v.multiattach !== undefined && v.multiattach !== null && parseBool(v.multiattach, 'multiattach')) {
      throw new BadRequest('The multiattach parameter is no longer supported; create a volume with a multiattach volume type instead.', {}, 'InvalidInput');
    }
    if (v.backup_id !== undefined && v.backup_id !== null) throw new BadRequest('Invalid input received: backups are not available in this cloud.', {}, 'InvalidInput');
    const str = (key: string): string | undefined => {
      const val = v[key];
      if (val === undefined || val === null) return undefined;
      if (typeof val !== 'string') throw new BadRequest(`Invalid input for field/attribute ${key}. Value must be a string.`, { field: key }, 'ValidationError');
      return val;
    };
    const uuidOrAbsent = (key: string): string | undefined => {
      const val = str(key);
      if (val !== undefined && !/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(val)) {
        throw new BadRequest(`Invalid input for field/attribute ${key}. Value: ${val}. '${val}' is not a 'uuid'`, { field: key }, 'ValidationError');
      }
      return val;
    };
    const image = str('imageRef') ?? str('image_id');
    const az = str('availability_zone');
    if (az !== undefined && az.length === 0) throw new BadRequest('Invalid input for field/attribute availability_zone.', {}, 'ValidationError');
    const volume = await api.create(ctx, {
      size: v.size === undefined || v.size === null ? undefined : parseSize(v.size),
      name: parseText(v.name ?? v.display_name, 'name'),
      description: parseText(v.description ?? v.display_description, 'description'),
      volumeType: str('volume_type'),
      metadata: parseMetadata(v.metadata),
      snapshotId: uuidOrAbsent('snapshot_id'),
      sourceVolid: uuidOrAbsent('source_volid'),
      imageRef: image === '' ? undefined : image,
      availabilityZone: az,
      groupId: version.atLeast('3.13') ? str('group_id') : undefined,
    });
    const vc = viewOf(request, ctx);
    return reply.code(202).send({ volume: volumeDetail(volume, vc, await api.viewData([volume]), { extensions: false }) });
  });

  const list = (detail: boolean) => async (request: import('fastify').FastifyRequest) => {
    const ctx = caller(request);
    ctx.authorize('volume:get_all', { projectId: ctx.projectId ?? null });
    const q = request.query as Query;
    const version = versionOf(request);
    const params = listParams(q, VOLUME_SORT_KEYS);
    const { items, count } = await api.list(ctx, {
      filter: volumeFilter(q, (m) => version.atLeast(m)),
      allTenants: queryBool(q, 'all_tenants') === true,
      ...params,
    });
    const vc = viewOf(request, ctx);
    const withCount = version.atLeast('3.45') && queryBool(q, 'with_count') === true;
    if (!detail) return volumeList(items.map((v) => volumeSummary(v, vc) as Record<string, unknown> & { id: string }), vc, { detail, limit: params.limit, count: withCount ? count : undefined });
    const data = await api.viewData(items);
    for (const v of items) api.answered(v);
    return volumeList(items.map((v) => volumeDetail(v, vc, data) as Record<string, unknown> & { id: string }), vc, { detail, limit: params.limit, count: withCount ? count : undefined });
  };
  app.get('/volumes', list(false));
  app.get('/volumes/detail', list(true));

  app.get('/volumes/summary', async (request) => {
    requireVersion(request, '3.12');
    const ctx = caller(request);
    ctx.authorize('volume:get_all_summary', { projectId: ctx.projectId ?? null });
    const s = await api.summary(ctx, queryBool(request.query as Query, 'all_tenants') === true);
    const out: Record<string, unknown> = { total_count: s.count, total_size: s.size };
    if (versionOf(request).atLeast('3.36')) out.metadata = s.metadata;
    return { 'volume-summary': out };
  });

  app.get('/volumes/:id', async (request) => {
    const ctx = caller(request);
    const v = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:get', { projectId: v.projectId });
    api.answered(v);
    return { volume: volumeDetail(v, viewOf(request, ctx), await api.viewData([v])) };
  });

  app.put('/volumes/:id', { schema: { body: objectBody('volume') } }, async (request) => {
    const ctx = caller(request);
    const current = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:update', { projectId: current.projectId });
    const v = member(request, 'volume');
    const allowed = ['name', 'description', 'display_name', 'display_description', 'metadata'];
    const extra = Object.keys(v).find((k) => !allowed.includes(k));
    if (extra !== undefined) throw new BadRequest(`Invalid input for field/attribute volume. Additional properties are not allowed ('${extra}' was unexpected)`, {}, 'ValidationError');
    if (versionOf(request).atLeast('3.53') && Object.keys(v).length === 0) throw new BadRequest('Invalid input for field/attribute volume. At least one of name, description or metadata must be given.', {}, 'ValidationError');
    const set: { name?: string | null; description?: string | null; metadata?: Record<string, string> } = {};
    if ('name' in v || 'display_name' in v) set.name = parseText(v.name ?? v.display_name, 'name');
    if ('description' in v || 'display_description' in v) set.description = parseText(v.description ?? v.display_description, 'description');
    if ('metadata' in v) set.metadata = parseMetadata(v.metadata);
    const updated = await api.update(ctx, current.id, set);
    return { volume: volumeDetail(updated, viewOf(request, ctx), await api.viewData([updated]), { extensions: false }) };
  });

  app.delete('/volumes/:id', async (request, reply) => {
    const ctx = caller(request);
    const v = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:delete', { projectId: v.projectId });
    const q = request.query as Query;
    const cascade = queryString(q, 'cascade') === undefined ? false : parseBool(queryString(q, 'cascade'), 'cascade');
    const forceText = queryString(q, 'force');
    const force = versionOf(request).atLeast('3.23') && forceText !== undefined ? parseBool(forceText, 'force') : false;
    if (force) ctx.authorize('volume:force_delete', { projectId: v.projectId });
    await api.delete(ctx, v.id, { cascade, force });
    return reply.code(202).send();
  });

  // ---- metadata ------------------------------------------------------------------------
  app.get('/volumes/:id/metadata', async (request) => {
    const ctx = caller(request);
    const v = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:get_volume_metadata', { projectId: v.projectId });
    return { metadata: await api.metadata(ctx, v.id) };
  });
  const setMetadata = (replace: boolean) => async (request: import('fastify').FastifyRequest) => {
    const ctx = caller(request);
    const v = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:update_volume_metadata', { projectId: v.projectId });
    const body = request.body as { metadata?: unknown } | undefined;
    if (body?.metadata === undefined || body.metadata === null) throw new BadRequest('Malformed request body', {}, 'ValidationError');
    return { metadata: await api.setMetadata(ctx, v.id, parseMetadata(body.metadata), replace) };
  };
  app.post('/volumes/:id/metadata', setMetadata(false));
  app.put('/volumes/:id/metadata', setMetadata(true));
  app.get('/volumes/:id/metadata/:key', async (request) => {
    const ctx = caller(request);
    const { id, key } = request.params as IdParams;
    const v = await api.get(ctx, id);
    ctx.authorize('volume:get_volume_metadata', { projectId: v.projectId });
    const md = await api.metadata(ctx, v.id);
    if (!(key in md)) throw new NotFound(`Volume ${v.id} has no metadata with key ${key}.`, { key }, 'VolumeMetadataNotFound');
    return { meta: { [key]: md[key] } };
  });
  app.put('/volumes/:id/metadata/:key', async (request) => {
    const ctx = caller(request);
    const { id, key } = request.params as IdParams;
    const v = await api.get(ctx, id);
    ctx.authorize('volume:update_volume_metadata', { projectId: v.projectId });
    const meta = parseMetadata((request.body as { meta?: unknown } | undefined)?.meta, 'meta');
    if (Object.keys(meta).length !== 1) throw new BadRequest('Request body contains too many items', {}, 'InvalidInput');
    if (!(key in meta)) throw new BadRequest('Request body and URI mismatch', {}, 'InvalidInput');
    await api.setMetadata(ctx, v.id, meta, false);
    return { meta };
  });
  app.delete('/volumes/:id/metadata/:key', async (request, reply) => {
    const ctx = caller(request);
    const { id, key } = request.params as IdParams;
    const v = await api.get(ctx, id);
    ctx.authorize('volume:delete_volume_metadata', { projectId: v.projectId });
    await api.deleteMetadataKey(ctx, v.id, key);
    return reply.code(200).send();
  });
}
