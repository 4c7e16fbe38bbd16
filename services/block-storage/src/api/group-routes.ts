/** /group_types (3.11), /groups (3.13), /group_snapshots (3.14): generic volume groups. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { queryBool, queryString, type Query } from '@strata/http';
import { parseBool, parseText } from '../api-support.js';
import type { GroupApi } from '../group-api.js';
import type { Group, GroupSnapshot, GroupType } from '../objects/group.js';
import { caller, member, requireVersion, versionOf } from './route-helpers.js';
import { cinderTime } from './view-helpers.js';

const SPEC_KEY = /^[a-zA-Z0-9-_:. /]{1,255}$/;

function specsOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest('Invalid input for field/attribute group_specs. Value must be an object.', {}, 'ValidationError');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!SPEC_KEY.test(k) || typeof v !== 'string' || v.length > 255) throw new BadRequest(`Invalid input for field/attribute group_specs. '${k}' is not valid.`, {}, 'ValidationError');
    out[k] = v;
  }
  return out;
}

function typeView(t: GroupType, admin: boolean): Record<string, unknown> {
  return { id: t.id, name: t.name, description: t.description, is_public: t.isPublic, ...(admin ? { group_specs: { ...t.groupSpecs } } : {}) };
}

function ids(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value !== 'string') throw new BadRequest('Invalid input received: add_volumes and remove_volumes are comma separated volume ids.', {}, 'InvalidInput');
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Register the group routes on an app scoped to `/v3/{project_id}`. */
export function registerGroupRoutes(app: FastifyInstance, api: GroupApi): void {
  const store = api.store;

  // ---- group types ---------------------------------------------------------------------
  app.get('/group_types', async (request) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types:get_all');
    const q = request.query as Query;
    const isPublicText = queryString(q, 'is_public');
    let list = await store.listTypes(ctx.isAdmin ? (isPublicText === undefined || isPublicText.toLowerCase() === 'none' ? undefined : parseBool(isPublicText, 'is_public')) : true);
    const sort = queryString(q, 'sort');
    if (sort !== undefined) {
      const [key = 'created_at', dir = 'asc'] = sort.split(',')[0]?.split(':') ?? [];
      if (key === 'name') list = [...list].sort((a, b) => (dir === 'desc' ? b.name.localeCompare(a.name) : a.name.localeCompare(b.name)));
    }
    return { group_types: list.map((t) => typeView(t, ctx.isAdmin)) };
  });
  app.get('/group_types/default', async (request) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types:get');
    throw new NotFound('Default group type can not be found.', {}, 'GroupTypeNotFound');
  });
  app.get('/group_types/:id', async (request) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types:get');
    const t = await store.getType((request.params as { id: string }).id);
    if (!t.isPublic && !ctx.isAdmin) throw new NotFound(`Group type ${t.id} could not be found.`, {}, 'GroupTypeNotFound');
    return { group_type: typeView(t, ctx.isAdmin) };
  });
  app.post('/group_types', { schema: { body: { type: 'object', required: ['group_type'], properties: { group_type: { type: 'object' } } } } }, async (request, reply) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_manage');
    const b = member(request, 'group_type');
    if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 255) throw new BadRequest('Invalid input for field/attribute name. Group type name can not be empty.', {}, 'ValidationError');
    const t = await store.createType({
      name: b.name.trim(),
      description: parseText(b.description, 'description'),
      isPublic: b.is_public === undefined || b.is_public === null ? true : parseBool(b.is_public, 'is_public'),
      groupSpecs: b.group_specs === undefined || b.group_specs === null ? {} : specsOf(b.group_specs),
    });
    return reply.code(202).send({ group_type: typeView(t, true) });
  });
  app.put('/group_types/:id', { schema: { body: { type: 'object', required: ['group_type'], properties: { group_type: { type: 'object' } } } } }, async (request) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_manage');
    const t = await store.getType((request.params as { id: string }).id);
    const b = member(request, 'group_type');
    if (b.name === undefined && b.description === undefined && b.is_public === undefined) throw new BadRequest('Specify group type name, description or a combination thereof.', {}, 'InvalidInput');
    const updated = await store.updateType(t.id, {
      ...(typeof b.name === 'string' ? { name: b.name.trim() } : {}),
      ...(b.description !== undefined ? { description: parseText(b.description, 'description') } : {}),
      ...(b.is_public !== undefined ? { isPublic: parseBool(b.is_public, 'is_public') } : {}),
    });
    return { group_type: typeView(updated, true) };
  });
  app.delete('/group_types/:id', async (request, reply) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_manage');
    const t = await store.getType((request.params as { id: string }).id);
    if (await store.typeInUse(t.id)) throw new BadRequest(`Group Type ${t.id} deletion is not allowed with groups present with the type.`, {}, 'GroupTypeInUse');
    await store.removeType(t.id);
    return reply.code(202).send();
  });
  app.get('/group_types/:id/group_specs', async (request) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_specs');
    return { group_specs: { ...(await store.getType((request.params as { id: string }).id)).groupSpecs } };
  });
  app.post('/group_types/:id/group_specs', async (request, reply) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_specs');
    const t = await store.getType((request.params as { id: string }).id);
    const specs = specsOf((request.body as { group_specs?: unknown } | undefined)?.group_specs);
    await store.setTypeSpecs(t.id, specs);
    return reply.code(202).send({ group_specs: specs });
  });
  app.get('/group_types/:id/group_specs/:key', async (request) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_specs');
    const { id, key } = request.params as { id: string; key: string };
    const t = await store.getType(id);
    const value = t.groupSpecs[key];
    if (value === undefined) throw new NotFound(`Group Type ${t.id} has no specs with key ${key}.`, {}, 'GroupTypeSpecsNotFound');
    return { [key]: value };
  });
  app.put('/group_types/:id/group_specs/:key', async (request) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_specs');
    const { id, key } = request.params as { id: string; key: string };
    const t = await store.getType(id);
    const specs = specsOf(request.body);
    if (Object.keys(specs).length !== 1 || !(key in specs)) throw new BadRequest('Request body and URI mismatch', {}, 'InvalidInput');
    await store.setTypeSpecs(t.id, specs);
    return specs;
  });
  app.delete('/group_types/:id/group_specs/:key', async (request, reply) => {
    requireVersion(request, '3.11');
    const ctx = caller(request);
    ctx.authorize('group:group_types_specs');
    const { id, key } = request.params as { id: string; key: string };
    const t = await store.getType(id);
    if (!(await store.deleteTypeSpec(t.id, key))) throw new NotFound(`Group Type ${t.id} has no specs with key ${key}.`, {}, 'GroupTypeSpecsNotFound');
    return reply.code(202).send();
  });

  // ---- groups ----------------------------------------------------------------------------
  const groupView = async (request: FastifyRequest, g: Group, admin: boolean): Promise<Record<string, unknown>> => {
    const version = versionOf(request);
    const out: Record<string, unknown> = {
      id: g.id,
      status: g.status,
      availability_zone: g.availabilityZone,
      created_at: cinderTime(g.createdAt),
      name: g.name,
      description: g.description,
      group_type: g.groupTypeId,
      volume_types: [...g.volumeTypeIds],
    };
    if (version.atLeast('3.14')) Object.assign(out, { group_snapshot_id: g.groupSnapshotId, source_group_id: g.sourceGroupId });
    if (version.atLeast('3.25') && queryBool(request.query as Query, 'list_volume') === true) out.volumes = await api.volumeIds(g.id);
    if (version.atLeast('3.38')) out.replication_status = 'disabled';
    if (version.atLeast('3.58') && admin) out.project_id = g.projectId;
    return out;
  };

  app.post('/groups', { schema: { body: { type: 'object', required: ['group'], properties: { group: { type: 'object' } } } } }, async (request, reply) => {
    requireVersion(request, '3.13');
    const ctx = caller(request);
    ctx.authorize('group:create', { projectId: ctx.projectId ?? null });
    const b = member(request, 'group');
    if (typeof b.group_type !== 'string') throw new BadRequest("Invalid input for field/attribute group. 'group_type' is a required property", {}, 'ValidationError');
    const volumeTypes = Array.isArray(b.volume_types) ? b.volume_types.map(String) : typeof b.volume_types === 'string' ? b.volume_types.split(',') : [];
    const g = await api.create(ctx, { name: parseText(b.name, 'name'), description: parseText(b.description, 'description'), groupType: b.group_type, volumeTypes, availabilityZone: typeof b.availability_zone === 'string' ? b.availability_zone : undefined });
    return reply.code(202).send({ group: { id: g.id, name: g.name } });
  });
  const list = (detail: boolean) => async (request: FastifyRequest) => {
    requireVersion(request, '3.13');
    const ctx = caller(request);
    ctx.authorize('group:get_all', { projectId: ctx.projectId ?? null });
    const all = ctx.isAdmin && queryBool(request.query as Query, 'all_tenants') === true;
    const groups = await store.listGroups(all ? undefined : ctx.projectId ?? '');
    return { groups: detail ? await Promise.all(groups.map((g) => groupView(request, g, ctx.isAdmin))) : groups.map((g) => ({ id: g.id, name: g.name })) };
  };
  app.get('/groups', list(false));
  app.get('/groups/detail', list(true));
  app.get('/groups/:id', async (request) => {
    requireVersion(request, '3.13');
    const ctx = caller(request);
    const g = await api.get(ctx, (request.params as { id: string }).id);
    ctx.authorize('group:get', { projectId: g.projectId });
    return { group: await groupView(request, g, ctx.isAdmin) };
  });
  app.put('/groups/:id', { schema: { body: { type: 'object', required: ['group'], properties: { group: { type: 'object' } } } } }, async (request, reply) => {
    requireVersion(request, '3.13');
    const ctx = caller(request);
    const g = await api.get(ctx, (request.params as { id: string }).id);
    ctx.authorize('group:update', { projectId: g.projectId });
    const b = member(request, 'group');
    if (b.name === undefined && b.description === undefined && b.add_volumes === undefined && b.remove_volumes === undefined) {
      throw new BadRequest('Name, description, add_volumes, and remove_volumes can not be all empty in the request body.', {}, 'InvalidInput');
    }
    await api.update(ctx, g.id, {
      ...(b.name !== undefined ? { name: parseText(b.name, 'name') } : {}),
      ...(b.description !== undefined ? { description: parseText(b.description, 'description') } : {}),
      addVolumes: ids(b.add_volumes),
      removeVolumes: ids(b.remove_volumes),
    });
    return reply.code(202).send();
  });
  app.post('/groups/action', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    requireVersion(request, '3.14');
    const ctx = caller(request);
    ctx.authorize('group:create', { projectId: ctx.projectId ?? null });
    const b = member(request, 'create-from-src');
    const g = await api.createFromSource(ctx, {
      name: parseText(b.name, 'name'),
      description: parseText(b.description, 'description'),
      sourceGroupId: typeof b.source_group_id === 'string' ? b.source_group_id : undefined,
      groupSnapshotId: typeof b.group_snapshot_id === 'string' ? b.group_snapshot_id : undefined,
    });
    return reply.code(202).send({ group: { id: g.id, name: g.name } });
  });
  app.post('/groups/:id/action', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    requireVersion(request, '3.13');
    const ctx = caller(request);
    const g = await api.get(ctx, (request.params as { id: string }).id);
    const body = request.body as Record<string, Record<string, unknown> | undefined>;
    if ('delete' in body) {
      ctx.authorize('group:delete', { projectId: g.projectId });
      const flag = body.delete?.['delete-volumes'];
      await api.delete(ctx, g.id, flag === undefined ? false : parseBool(flag, 'delete-volumes'));
      return reply.code(202).send();
    }
    if ('reset_status' in body) {
      requireVersion(request, '3.20');
      ctx.authorize('group:reset_status', { projectId: g.projectId });
      const status = body.reset_status?.status;
      if (typeof status !== 'string') throw new BadRequest("Invalid input for field/attribute reset_status. 'status' is a required property", {}, 'ValidationError');
      await api.resetStatus(ctx, g.id, status);
      return reply.code(202).send();
    }
    throw new BadRequest(`There is no such action: ${Object.keys(body).join(', ')}`, {}, 'InvalidAction');
  });

  // ---- group snapshots -------------------------------------------------------------------
  const snapshotView = (s: GroupSnapshot, detail: boolean, request: FastifyRequest, admin: boolean): Record<string, unknown> => {
    if (!detail) return { id: s.id, name: s.name };
    const out: Record<string, unknown> = { id: s.id, group_id: s.groupId, status: s.status === 'preparing' ? 'creating' : s.status, created_at: cinderTime(s.createdAt), name: s.name, description: s.description, group_type_id: s.groupTypeId };
    if (versionOf(request).atLeast('3.58') && admin) out.project_id = s.projectId;
    return out;
  };
  app.post('/group_snapshots', { schema: { body: { type: 'object', required: ['group_snapshot'], properties: { group_snapshot: { type: 'object' } } } } }, async (request, reply) => {
    requireVersion(request, '3.14');
    const ctx = caller(request);
    ctx.authorize('group:create_group_snapshot', { projectId: ctx.projectId ?? null });
    const b = member(request, 'group_snapshot');
    if (typeof b.group_id !== 'string') throw new BadRequest("Invalid input for field/attribute group_snapshot. 'group_id' is a required property", {}, 'ValidationError');
    const s = await api.createSnapshot(ctx, { groupId: b.group_id, name: parseText(b.name, 'name'), description: parseText(b.description, 'description') });
    return reply.code(202).send({ group_snapshot: { id: s.id, name: s.name, group_type_id: s.groupTypeId } });
  });
  const listSnapshots = (detail: boolean) => async (request: FastifyRequest) => {
    requireVersion(request, '3.14');
    const ctx = caller(request);
    ctx.authorize('group:get_all_group_snapshots', { projectId: ctx.projectId ?? null });
    const list = await api.listSnapshots(ctx, queryBool(request.query as Query, 'all_tenants') === true);
    return { group_snapshots: list.map((s) => snapshotView(s, detail, request, ctx.isAdmin)) };
  };
  app.get('/group_snapshots', listSnapshots(false));
  app.get('/group_snapshots/detail', listSnapshots(true));
  app.get('/group_snapshots/:id', async (request) => {
    requireVersion(request, '3.14');
    const ctx = caller(request);
    const s = await api.getSnapshot(ctx, (request.params as { id: string }).id);
    ctx.authorize('group:get_group_snapshot', { projectId: s.projectId });
    return { group_snapshot: snapshotView(s, true, request, ctx.isAdmin) };
  });
  app.delete('/group_snapshots/:id', async (request, reply) => {
    requireVersion(request, '3.14');
    const ctx = caller(request);
    const s = await api.getSnapshot(ctx, (request.params as { id: string }).id);
    ctx.authorize('group:delete_group_snapshot', { projectId: s.projectId });
    await api.deleteSnapshot(ctx, s.id);
    return reply.code(202).send();
  });
  app.post('/group_snapshots/:id/action', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    requireVersion(request, '3.19');
    const ctx = caller(request);
    const s = await api.getSnapshot(ctx, (request.params as { id: string }).id);
    ctx.authorize('group:reset_group_snapshot_status', { projectId: s.projectId });
    const status = (request.body as { reset_status?: { status?: unknown } }).reset_status?.status;
    if (typeof status !== 'string') throw new BadRequest("Invalid input for field/attribute reset_status. 'status' is a required property", {}, 'ValidationError');
    await api.resetSnapshotStatus(ctx, s.id, status);
    return reply.code(202).send();
  });
}
