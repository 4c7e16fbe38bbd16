/** /types: volume types, their extra specs, project access, encryption, and per-project defaults (3.62). */
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from '@strata/auth';
import { BadRequest, NotFound } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import { isUuidLike, parseBool } from '../api-support.js';
import type { VolumeApi } from '../volume-api.js';
import { DEFAULT_VOLUME_TYPE, VolumeTypeNotFound, type Encryption, type VolumeType } from '../objects/volume-type.js';
import { caller, member, metadataFilter, requireVersion, versionOf } from './route-helpers.js';
import { cinderTime } from './view-helpers.js';

type Params = { id: string; key: string; project: string };

/** Extra specs non-admins may see (cinder's USER_VISIBLE_EXTRA_SPECS). */
const USER_VISIBLE = ['RESKEY:availability_zones', 'multiattach', 'replication_enabled'];
const SPEC_KEY = /^[a-zA-Z0-9-_:. /]{1,255}$/;

/** A type as cinder shows it: extra specs trimmed for non-admins, qos_specs_id for admins on show. */
export function typeView(t: VolumeType, ctx: RequestContext, opts: { qos: boolean; access?: boolean }): Record<string, unknown> {
  const specs = ctx.isAdmin ? { ...t.extraSpecs } : Object.fromEntries(Object.entries(t.extraSpecs).filter(([k]) => USER_VISIBLE.includes(k)));
  const out: Record<string, unknown> = { id: t.id, name: t.name, is_public: t.isPublic, description: t.description, extra_specs: specs };
  if (opts.qos && ctx.isAdmin) out.qos_specs_id = t.qosSpecsId;
  if (opts.access !== false) out['os-volume-type-access:is_public'] = t.isPublic;
  return out;
}

function encryptionView(e: Encryption): Record<string, unknown> {
  return {
    volume_type_id: e.volumeTypeId,
    encryption_id: e.encryptionId,
    key_size: e.keySize,
    provider: e.provider,
    control_location: e.controlLocation,
    cipher: e.cipher,
    deleted: false,
    created_at: cinderTime(e.createdAt),
    updated_at: cinderTime(e.updatedAt),
    deleted_at: null,
  };
}

function parseSpecs(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest('Invalid input for field/attribute extra_specs. Value must be an object.', {}, 'ValidationError');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!SPEC_KEY.test(k)) throw new BadRequest(`Invalid input for field/attribute extra_specs. Key '${k}' is not allowed.`, {}, 'ValidationError');
    if (typeof v !== 'string' || v.length > 255) throw new BadRequest(`Invalid input for field/attribute extra_specs. Value of '${k}' must be a string of at most 255 characters.`, {}, 'ValidationError');
    out[k] = v;
  }
  return out;
}

/** Register the type routes on an app scoped to `/v3/{project_id}`. */
export function registerTypeRoutes(app: FastifyInstance, api: VolumeApi): void {
  const types = api.types;
  /** The type if the caller may see it (public, shared with it, or admin); 404 otherwise. */
  const visibleType = async (ctx: RequestContext, id: string): Promise<VolumeType> => {
    const t = isUuidLike(id) ? await types.find(id) : undefined;
    if (t === undefined || (!ctx.isAdmin && !(await types.canUse(t, ctx.projectId)))) throw new VolumeTypeNotFound(id);
    return t;
  };

  app.get('/types', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:type_get_all');
    const q = request.query as Query;
    const isPublicText = queryString(q, 'is_public');
    let isPublic: boolean | undefined = true;
    if (ctx.isAdmin) isPublic = isPublicText === undefined || isPublicText.toLowerCase() === 'none' ? undefined : parseBool(isPublicText, 'is_public');
    let list = await types.list({ ...(isPublic !== undefined ? { isPublic } : {}), ...(ctx.isAdmin ? {} : { projectId: ctx.projectId ?? '' }) });
    if (!ctx.isAdmin && isPublicText !== undefined && isPublicText.toLowerCase() !== 'none') {
      const want = parseBool(isPublicText, 'is_public');
      list = list.filter((t) => t.isPublic === want);
    }
    const specs = versionOf(request).atLeast('3.52') ? metadataFilter(queryString(q, 'extra_specs')) : undefined;
    if (specs !== undefined) list = list.filter((t) => Object.entries(specs).every(([k, v]) => t.extraSpecs[k] === v));
    return { volume_types: list.map((t) => typeView(t, ctx, { qos: true })) };
  });

  app.get('/types/default', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:type_get');
    const projectDefault = ctx.projectId === undefined ? undefined : await types.projectDefault(ctx.projectId);
    const t = (projectDefault !== undefined ? await types.find(projectDefault) : undefined) ?? (await types.findByName(api.config.defaultVolumeType)) ?? (await types.findByName(DEFAULT_VOLUME_TYPE));
    if (t === undefined) throw new NotFound('Default volume type can not be found.', {}, 'VolumeTypeDefaultMisconfiguredError');
    return { volume_type: typeView(t, ctx, { qos: true }) };
  });

  app.get('/types/:id', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:type_get');
    return { volume_type: typeView(await visibleType(ctx, (request.params as Params).id), ctx, { qos: true }) };
  });

  app.post('/types', { schema: { body: { type: 'object', required: ['volume_type'], properties: { volume_type: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_manage');
    const b = member(request, 'volume_type');
    if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 255) throw new BadRequest('Invalid input for field/attribute name. Volume type name can not be empty.', {}, 'ValidationError');
    if (b.description !== undefined && b.description !== null && (typeof b.description !== 'string' || b.description.length > 255)) throw new BadRequest('Invalid input for field/attribute description.', {}, 'ValidationError');
    const isPublic = b['os-volume-type-access:is_public'] ?? b.is_public;
    const created = await types.create({
      name: b.name.trim(),
      description: typeof b.description === 'string' ? b.description : null,
      isPublic: isPublic === undefined || isPublic === null ? true : parseBool(isPublic, 'os-volume-type-access:is_public'),
      extraSpecs: b.extra_specs === undefined || b.extra_specs === null ? {} : parseSpecs(b.extra_specs),
    });
    return { volume_type: typeView(created, ctx, { qos: false }) };
  });

  app.put('/types/:id', { schema: { body: { type: 'object', required: ['volume_type'], properties: { volume_type: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_manage');
    const t = await visibleType(ctx, (request.params as Params).id);
    const b = member(request, 'volume_type');
    if (b.name === undefined && b.description === undefined && b.is_public === undefined) throw new BadRequest('Specify volume type name, description, is_public or a combination thereof.', {}, 'InvalidInput');
    if (b.name !== undefined && (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 255)) throw new BadRequest('Invalid input for field/attribute name. Volume type name can not be empty.', {}, 'ValidationError');
    if (t.name === DEFAULT_VOLUME_TYPE && b.name !== undefined && b.name !== t.name) throw new BadRequest('The default volume type can not be renamed.', {}, 'InvalidInput');
    const updated = await types.update(t.id, {
      ...(typeof b.name === 'string' ? { name: b.name.trim() } : {}),
      ...(b.description !== undefined ? { description: b.description === null ? null : String(b.description) } : {}),
      ...(b.is_public !== undefined ? { isPublic: parseBool(b.is_public, 'is_public') } : {}),
    });
    return { volume_type: typeView(updated, ctx, { qos: false, access: false }) };
  });

  app.delete('/types/:id', async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_manage');
    const t = await visibleType(ctx, (request.params as Params).id);
    if (t.name === DEFAULT_VOLUME_TYPE || t.name === api.config.defaultVolumeType) throw new BadRequest(`Invalid volume type: The volume type ${t.id} is the default volume type and cannot be deleted.`, {}, 'VolumeTypeDefaultDeletionError');
    const inUse = (await api.volumes.list({ volumeTypeId: t.id })).length > 0;
    if (inUse) throw new BadRequest(`Volume Type ${t.id} deletion is not allowed with volumes present with the type.`, { volumeTypeId: t.id }, 'VolumeTypeInUse');
    await types.remove(t.id);
    return reply.code(202).send();
  });

  // ---- extra specs ------------------------------------------------------------------------
  app.get('/types/:id/extra_specs', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_extra_specs:read');
    const t = await visibleType(ctx, (request.params as Params).id);
    return { extra_specs: typeView(t, ctx, { qos: false }).extra_specs };
  });
  app.post('/types/:id/extra_specs', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_extra_specs:manage');
    const t = await visibleType(ctx, (request.params as Params).id);
    const body = request.body as { extra_specs?: unknown } | undefined;
    if (body === undefined || body === null || body.extra_specs === undefined || body.extra_specs === null) throw new BadRequest("Invalid input for field/attribute extra_specs. 'extra_specs' is a required property", {}, 'ValidationError');
    const specs = parseSpecs(body.extra_specs);
    await types.setExtraSpecs(t.id, specs);
    return { extra_specs: specs };
  });
  app.get('/types/:id/extra_specs/:key', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_extra_specs:read');
    const { id, key } = request.params as Params;
    const t = await visibleType(ctx, id);
    const visible = typeView(t, ctx, { qos: false }).extra_specs as Record<string, string>;
    if (!(key in visible)) throw new NotFound(`Volume Type ${t.id} has no extra specs with key ${key}.`, { key }, 'VolumeTypeExtraSpecsNotFound');
    return { [key]: visible[key] };
  });
  app.put('/types/:id/extra_specs/:key', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_extra_specs:manage');
    const { id, key } = request.params as Params;
    const t = await visibleType(ctx, id);
    const body = request.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('Malformed request body', {}, 'ValidationError');
    const specs = parseSpecs(body);
    if (Object.keys(specs).length > 1) throw new BadRequest('Request body contains too many items', {}, 'InvalidInput');
    if (!(key in specs)) throw new BadRequest('Request body and URI mismatch', {}, 'InvalidInput');
    await types.setExtraSpecs(t.id, specs);
    return specs;
  });
  app.delete('/types/:id/extra_specs/:key', async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:types_extra_specs:manage');
    const { id, key } = request.params as Params;
    const t = await visibleType(ctx, id);
    if (!(await types.deleteExtraSpec(t.id, key))) throw new NotFound(`Volume Type ${t.id} has no extra specs with key ${key}.`, { key }, 'VolumeTypeExtraSpecsNotFound');
    return reply.code(202).send();
  });

  // ---- access -------------------------------------------------------------------------------
  app.get('/types/:id/os-volume-type-access', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:volume_type_access');
    const t = await visibleType(ctx, (request.params as Params).id);
    if (t.isPublic) throw new NotFound('Access list not available for public volume types.', {}, 'VolumeTypeAccessNotFound');
    return { volume_type_access: (await types.accessList(t.id)).map((p) => ({ volume_type_id: t.id, project_id: p })) };
  });
  app.post('/types/:id/action', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:volume_type_access');
    const t = await visibleType(ctx, (request.params as Params).id);
    const body = request.body as Record<string, { project?: unknown } | undefined>;
    const add = body.addProjectAccess;
    const remove = body.removeProjectAccess;
    const args = add ?? remove;
    if (args === undefined || typeof args.project !== 'string' || args.project === '') throw new BadRequest("Invalid input for field/attribute project. 'project' is a required property", {}, 'ValidationError');
    if (t.isPublic) throw new BadRequest('Invalid volume type: Type access modification is not applicable to public volume type.', {}, 'InvalidVolumeType');
    if (add !== undefined) await types.addAccess(t.id, args.project);
    else if (!(await types.removeAccess(t.id, args.project))) throw new NotFound(`Volume type access not found for ${t.id} / ${args.project} combination.`, {}, 'VolumeTypeAccessNotFound');
    return reply.code(202).send();
  });

  // ---- encryption ---------------------------------------------------------------------------
  app.get('/types/:id/encryption', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:volume_type_encryption');
    const t = await visibleType(ctx, (request.params as Params).id);
    const e = await types.getEncryption(t.id);
    return e === undefined ? {} : encryptionView(e);
  });
  app.get('/types/:id/encryption/:key', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:volume_type_encryption');
    const { id, key } = request.params as Params;
    const t = await visibleType(ctx, id);
    const e = await types.getEncryption(t.id);
    const view = e === undefined ? {} : encryptionView(e);
    if (!(key in view)) throw new NotFound(`Volume type encryption for type ${t.id} does not exist.`, {}, 'VolumeTypeEncryptionNotFound');
    return { [key]: view[key] };
  });
  const parseEncryption = (b: Record<string, unknown>, partial: boolean) => {
    const provider = b.provider;
    const control = b.control_location ?? (partial ? undefined : 'front-end');
    if (!partial && (typeof provider !== 'string' || provider === '')) throw new BadRequest("Invalid input for field/attribute encryption. 'provider' is a required property", {}, 'ValidationError');
    if (control !== undefined && control !== 'front-end' && control !== 'back-end') throw new BadRequest(`Invalid input received: Valid control location are: ['front-end', 'back-end']`, {}, 'InvalidInput');
    let keySize: number | null | undefined;
    if (b.key_size !== undefined && b.key_size !== null) {
      const n = typeof b.key_size === 'number' ? b.key_size : Number(b.key_size);
      if (!Number.isInteger(n) || n < 0) throw new BadRequest('Invalid input for field/attribute key_size.', {}, 'ValidationError');
      keySize = n;
    } else if (b.key_size === null) keySize = null;
    return { provider: typeof provider === 'string' ? provider : undefined, control: control as string | undefined, cipher: b.cipher === undefined ? undefined : b.cipher === null ? null : String(b.cipher), keySize };
  };
  app.post('/types/:id/encryption', { schema: { body: { type: 'object', required: ['encryption'], properties: { encryption: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:volume_type_encryption');
    const t = await visibleType(ctx, (request.params as Params).id);
    if ((await types.getEncryption(t.id)) !== undefined) throw new BadRequest(`Volume type encryption for type ${t.id} already exists.`, {}, 'VolumeTypeEncryptionExists');
    if ((await api.volumes.list({ volumeTypeId: t.id })).length > 0) throw new BadRequest('Cannot create encryption specs. Volume type in use.', {}, 'VolumeTypeInUse');
    const e = parseEncryption(member(request, 'encryption'), false);
    const saved = await types.setEncryption(t.id, { provider: e.provider ?? '', controlLocation: e.control ?? 'front-end', cipher: e.cipher ?? null, keySize: e.keySize ?? null });
    return { encryption: { volume_type_id: saved.volumeTypeId, encryption_id: saved.encryptionId, key_size: saved.keySize, provider: saved.provider, control_location: saved.controlLocation, cipher: saved.cipher } };
  });
  app.put('/types/:id/encryption/:key', { schema: { body: { type: 'object', required: ['encryption'], properties: { encryption: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:volume_type_encryption');
    const t = await visibleType(ctx, (request.params as Params).id);
    const current = await types.getEncryption(t.id);
    if (current === undefined) throw new NotFound(`Volume type encryption for type ${t.id} does not exist.`, {}, 'VolumeTypeEncryptionNotFound');
    if ((await api.volumes.list({ volumeTypeId: t.id })).length > 0) throw new BadRequest('Cannot update encryption specs. Volume type in use.', {}, 'VolumeTypeInUse');
    const b = member(request, 'encryption');
    const e = parseEncryption(b, true);
    await types.setEncryption(t.id, { provider: e.provider ?? current.provider, controlLocation: e.control ?? current.controlLocation, cipher: e.cipher === undefined ? current.cipher : e.cipher, keySize: e.keySize === undefined ? current.keySize : e.keySize });
    return { encryption: b };
  });
  app.delete('/types/:id/encryption/:key', async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:volume_type_encryption');
    const t = await visibleType(ctx, (request.params as Params).id);
    if ((await api.volumes.list({ volumeTypeId: t.id })).length > 0) throw new BadRequest('Cannot delete encryption specs. Volume type in use.', {}, 'VolumeTypeInUse');
    if (!(await types.deleteEncryption(t.id))) throw new NotFound(`Volume type encryption for type ${t.id} does not exist.`, {}, 'VolumeTypeEncryptionNotFound');
    return reply.code(202).send();
  });

  // ---- default types per project (3.62) -------------------------------------------------------
  const defaultView = (projectId: string, volumeTypeId: string) => ({ project_id: projectId, volume_type_id: volumeTypeId });
  app.put('/default-types/:project', { schema: { body: { type: 'object', required: ['default_type'], properties: { default_type: { type: 'object' } } } } }, async (request) => {
    requireVersion(request, '3.62');
    const ctx = caller(request);
    ctx.authorize('volume_extension:default_set_or_update');
    const b = member(request, 'default_type');
    if (typeof b.volume_type !== 'string') throw new BadRequest("Invalid input for field/attribute default_type. 'volume_type' is a required property", {}, 'ValidationError');
    const t = await types.getByIdOrName(b.volume_type);
    const project = (request.params as Params).project;
    await types.setProjectDefault(project, t.id);
    return { default_type: defaultView(project, t.id) };
  });
  app.get('/default-types/:project', async (request) => {
    requireVersion(request, '3.62');
    const ctx = caller(request);
    ctx.authorize('volume_extension:default_get');
    const project = (request.params as Params).project;
    const id = await types.projectDefault(project);
    if (id === undefined) throw new NotFound(`Default type for project ${project} could not be found.`, {}, 'VolumeTypeProjectDefaultNotFound');
    return { default_type: defaultView(project, id) };
  });
  app.get('/default-types', async (request) => {
    requireVersion(request, '3.62');
    const ctx = caller(request);
    ctx.authorize('volume_extension:default_get');
    return { default_types: (await types.listProjectDefaults()).map((d) => defaultView(d.projectId, d.volumeTypeId)) };
  });
  app.delete('/default-types/:project', async (request, reply) => {
    requireVersion(request, '3.62');
    const ctx = caller(request);
    ctx.authorize('volume_extension:default_set_or_update');
    await types.deleteProjectDefault((request.params as Params).project);
    return reply.code(204).send();
  });
}
