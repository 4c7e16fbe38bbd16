/** /snapshots: create, list (+detail), show, update, delete, actions and metadata. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { queryBool, queryString, type Query } from '@strata/http';
import { parseBool, parseMetadata, parseText } from '../api-support.js';
import type { SnapshotApi } from '../snapshot-api.js';
import { SNAPSHOT_SORT_KEYS } from '../snapshot-api.js';
import type { SnapshotFilter } from '../objects/snapshot.js';
import { caller, listParams, member, metadataFilter, versionOf, viewOf } from './route-helpers.js';
import { snapshotDetail, snapshotList, snapshotSummary } from './snapshots-view.js';

type IdParams = { id: string; key: string };

/** Register the snapshot routes on an app scoped to `/v3/{project_id}`. */
export function registerSnapshotRoutes(app: FastifyInstance, api: SnapshotApi): void {
  app.post('/snapshots', { schema: { body: { type: 'object', required: ['snapshot'], properties: { snapshot: { type: 'object' } } } } }, async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume:create_snapshot', { projectId: ctx.projectId ?? null });
    const s = member(request, 'snapshot');
    if (!('volume_id' in s)) throw new BadRequest("Invalid input for field/attribute snapshot. 'volume_id' is a required property", {}, 'ValidationError');
    if (typeof s.volume_id !== 'string') throw new NotFound(`Volume ${String(s.volume_id)} could not be found.`, {}, 'VolumeNotFound');
    const version = versionOf(request);
    const created = await api.create(ctx, {
      volumeId: s.volume_id,
      name: parseText(s.name ?? s.display_name, 'name'),
      description: parseText(s.description ?? s.display_description, 'description'),
      metadata: parseMetadata(s.metadata),
      force: s.force === undefined || s.force === null ? false : parseBool(s.force, 'force'),
      inUseAllowed: version.atLeast('3.66'),
    });
    return reply.code(202).send({ snapshot: snapshotSummary(created, viewOf(request, ctx)) });
  });

  const list = (detail: boolean) => async (request: FastifyRequest) => {
    const ctx = caller(request);
    ctx.authorize('volume:get_all_snapshots', { projectId: ctx.projectId ?? null });
    const q = request.query as Query;
    const params = listParams(q, SNAPSHOT_SORT_KEYS);
    const filter: Record<string, unknown> = {};
    for (const [key, field] of [['volume_id', 'volumeId'], ['status', 'status'], ['name', 'name'], ['display_name', 'name']] as const) {
      const v = queryString(q, key);
      if (v !== undefined) filter[field] = v;
    }
    const md = metadataFilter(queryString(q, 'metadata'));
    if (md !== undefined && versionOf(request).atLeast('3.22')) filter.metadata = md;
    const { items, count } = await api.list(ctx, { filter: filter as SnapshotFilter, allTenants: queryBool(q, 'all_tenants') === true, ...params });
    const vc = viewOf(request, ctx);
    const withCount = versionOf(request).atLeast('3.45') && queryBool(q, 'with_count') === true;
    const view = detail ? snapshotDetail : snapshotSummary;
    return snapshotList(items.map((s) => view(s, vc)), vc, { detail, limit: params.limit, count: withCount ? count : undefined });
  };
  app.get('/snapshots', list(false));
  app.get('/snapshots/detail', list(true));

  app.get('/snapshots/:id', async (request) => {
    const ctx = caller(request);
    const s = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:get_snapshot', { projectId: s.projectId });
    return { snapshot: snapshotDetail(s, viewOf(request, ctx)) };
  });

  app.put('/snapshots/:id', { schema: { body: { type: 'object', required: ['snapshot'], properties: { snapshot: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    const current = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:update_snapshot', { projectId: current.projectId });
    const s = member(request, 'snapshot');
    const allowed = ['name', 'description', 'display_name', 'display_description'];
    const extra = Object.keys(s).find((k) => !allowed.includes(k));
    if (extra !== undefined) throw new BadRequest(`Invalid input for field/attribute snapshot. Additional properties are not allowed ('${extra}' was unexpected)`, {}, 'ValidationError');
    if (Object.keys(s).length === 0) throw new BadRequest('Invalid input for field/attribute snapshot. name or description is required.', {}, 'ValidationError');
    const set: { name?: string | null; description?: string | null } = {};
    if ('name' in s || 'display_name' in s) set.name = parseText(s.name ?? s.display_name, 'name');
    if ('description' in s || 'display_description' in s) set.description = parseText(s.description ?? s.display_description, 'description');
    const updated = await api.update(ctx, current.id, set);
    return { snapshot: snapshotSummary(updated, viewOf(request, ctx)) };
  });

  app.delete('/snapshots/:id', async (request, reply) => {
    const ctx = caller(request);
    const s = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:delete_snapshot', { projectId: s.projectId });
    await api.delete(ctx, s.id);
    return reply.code(202).send();
  });

  app.post('/snapshots/:id/action', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    const ctx = caller(request);
    const s = await api.get(ctx, (request.params as IdParams).id);
    const body = request.body as Record<string, unknown>;
    const [name, ...rest] = Object.keys(body);
    const args = (body[name ?? ''] ?? {}) as Record<string, unknown>;
    if (rest.length > 0) throw new BadRequest('There is no such action', {}, 'InvalidAction');
    switch (name) {
      case 'os-reset_status':
        ctx.authorize('volume_extension:snapshot_admin_actions:reset_status', { projectId: s.projectId });
        if (typeof args.status !== 'string') throw new BadRequest("Invalid input for field/attribute os-reset_status. 'status' is a required property", {}, 'ValidationError');
        await api.resetStatus(ctx, s.id, args.status);
        return reply.code(202).send();
      case 'os-force_delete':
        ctx.authorize('volume_extension:snapshot_admin_actions:force_delete', { projectId: s.projectId });
        await api.delete(ctx, s.id, true);
        return reply.code(202).send();
      case 'os-update_snapshot_status':
        ctx.authorize('snapshot_extension:snapshot_actions:update_snapshot_status', { projectId: s.projectId });
        if (typeof args.status !== 'string') throw new BadRequest("Invalid input for field/attribute os-update_snapshot_status. 'status' is a required property", {}, 'ValidationError');
        await api.updateStatus(ctx, s.id, args.status, typeof args.progress === 'string' ? args.progress : undefined);
        return reply.code(202).send();
      default:
        throw new BadRequest(`There is no such action: ${name ?? 'None'}`, {}, 'InvalidAction');
    }
  });

  // ---- metadata ------------------------------------------------------------------------
  app.get('/snapshots/:id/metadata', async (request) => {
    const ctx = caller(request);
    const s = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:snapshot_metadata:get', { projectId: s.projectId });
    return { metadata: await api.metadata(ctx, s.id) };
  });
  const setMetadata = (replace: boolean) => async (request: FastifyRequest) => {
    const ctx = caller(request);
    const s = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:snapshot_metadata', { projectId: s.projectId });
    const body = request.body as { metadata?: unknown } | undefined;
    if (body?.metadata === undefined || body.metadata === null) throw new BadRequest('Malformed request body', {}, 'ValidationError');
    return { metadata: await api.setMetadata(ctx, s.id, parseMetadata(body.metadata), replace) };
  };
  app.post('/snapshots/:id/metadata', setMetadata(false));
  app.put('/snapshots/:id/metadata', setMetadata(true));
  app.get('/snapshots/:id/metadata/:key', async (request) => {
    const ctx = caller(request);
    const { id, key } = request.params as IdParams;
    const s = await api.get(ctx, id);
    ctx.authorize('volume:snapshot_metadata:get', { projectId: s.projectId });
    const md = await api.metadata(ctx, s.id);
    if (!(key in md)) throw new NotFound(`Snapshot ${s.id} has no metadata with key ${key}.`, { key }, 'SnapshotMetadataNotFound');
    return { meta: { [key]: md[key] } };
  });
  app.put('/snapshots/:id/metadata/:key', async (request) => {
    const ctx = caller(request);
    const { id, key } = request.params as IdParams;
    const s = await api.get(ctx, id);
    ctx.authorize('volume:snapshot_metadata', { projectId: s.projectId });
    const meta = parseMetadata((request.body as { meta?: unknown } | undefined)?.meta, 'meta');
    if (Object.keys(meta).length !== 1) throw new BadRequest('Request body contains too many items', {}, 'InvalidInput');
    if (!(key in meta)) throw new BadRequest('Request body and URI mismatch', {}, 'InvalidInput');
    await api.setMetadata(ctx, s.id, meta, false);
    return { meta };
  });
  app.delete('/snapshots/:id/metadata/:key', async (request, reply) => {
    const ctx = caller(request);
    const { id, key } = request.params as IdParams;
    const s = await api.get(ctx, id);
    ctx.authorize('volume:snapshot_metadata', { projectId: s.projectId });
    await api.deleteMetadataKey(ctx, s.id, key);
    return reply.code(200).send();
  });
}
