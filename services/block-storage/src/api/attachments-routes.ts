/** /attachments (3.27+): the attach flow nova uses — create (reserve), update with a connector, os-complete, delete. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '@strata/errors';
import { queryBool, queryString, type Query } from '@strata/http';
import type { Connector } from '@strata/volume';
import { isUuidLike } from '../api-support.js';
import type { AttachmentApi } from '../attachment-api.js';
import { caller, member, requireVersion, versionOf } from './route-helpers.js';
import { attachmentView } from './volumes-view.js';

type IdParams = { id: string };

/** Register the attachment routes on an app scoped to `/v3/{project_id}`. */
export function registerAttachmentRoutes(app: FastifyInstance, api: AttachmentApi): void {
  app.post('/attachments', { schema: { body: { type: 'object', required: ['attachment'], properties: { attachment: { type: 'object' } } } } }, async (request) => {
    requireVersion(request, '3.27');
    const ctx = caller(request);
    const a = member(request, 'attachment');
    if (typeof a.volume_uuid !== 'string' || !isUuidLike(a.volume_uuid)) throw new BadRequest("Invalid input for field/attribute attachment. 'volume_uuid' is a required property and must be a uuid", {}, 'ValidationError');
    const instance = a.instance_uuid === undefined || a.instance_uuid === null ? null : String(a.instance_uuid);
    const connector = typeof a.connector === 'object' && a.connector !== null ? (a.connector as Connector) : null;
    const mode = versionOf(request).atLeast('3.54') && typeof a.mode === 'string' ? a.mode : 'null';
    if (mode !== 'null' && !['rw', 'ro'].includes(mode)) throw new BadRequest(`Invalid input for field/attribute mode. Value: ${mode}.`, {}, 'ValidationError');
    ctx.authorize('volume:attachment_create', { projectId: ctx.projectId ?? null });
    const created = await api.create(ctx, { volumeId: a.volume_uuid, instanceUuid: instance, connector, mode });
    return { attachment: attachmentView(created, true) };
  });

  const list = (detail: boolean) => async (request: FastifyRequest) => {
    requireVersion(request, '3.27');
    const ctx = caller(request);
    ctx.authorize('volume:attachment_get_all', { projectId: ctx.projectId ?? null });
    const q = request.query as Query;
    const volumeId = queryString(q, 'volume_id');
    const instance = queryString(q, 'instance_id') ?? queryString(q, 'instance_uuid');
    const status = queryString(q, 'status') ?? queryString(q, 'attach_status');
    const items = await api.list(ctx, {
      allTenants: queryBool(q, 'all_tenants') === true,
      ...(volumeId !== undefined ? { volumeId } : {}),
      ...(instance !== undefined ? { instanceUuid: instance } : {}),
      ...(status !== undefined ? { status } : {}),
    });
    return { attachments: items.map((a) => attachmentView(a, detail)) };
  };
  app.get('/attachments', list(false));
  app.get('/attachments/detail', list(true));

  app.get('/attachments/:id', async (request) => {
    requireVersion(request, '3.27');
    const ctx = caller(request);
    const a = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:attachment_get_all', { projectId: a.projectId });
    return { attachment: attachmentView(a, true) };
  });

  app.put('/attachments/:id', { schema: { body: { type: 'object', required: ['attachment'], properties: { attachment: { type: 'object' } } } } }, async (request) => {
    requireVersion(request, '3.27');
    const ctx = caller(request);
    const current = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:attachment_update', { projectId: current.projectId });
    const a = member(request, 'attachment');
    if (typeof a.connector !== 'object' || a.connector === null) throw new BadRequest("Invalid input for field/attribute attachment. 'connector' is a required property", {}, 'ValidationError');
    const updated = await api.update(ctx, current.id, a.connector as Connector);
    return { attachment: attachmentView(updated, true) };
  });

  app.delete('/attachments/:id', async (request) => {
    requireVersion(request, '3.27');
    const ctx = caller(request);
    const current = await api.get(ctx, (request.params as IdParams).id);
    ctx.authorize('volume:attachment_delete', { projectId: current.projectId });
    const left = await api.delete(ctx, current.id);
    return { attachments: left.map((a) => attachmentView(a, false)) };
  });

  app.post('/attachments/:id/action', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    requireVersion(request, '3.44');
    const ctx = caller(request);
    const current = await api.get(ctx, (request.params as IdParams).id);
    const body = request.body as Record<string, unknown>;
    if (Object.keys(body).length !== 1 || !('os-complete' in body)) throw new BadRequest(`There is no such action: ${Object.keys(body).join(', ')}`, {}, 'InvalidAction');
    ctx.authorize('volume:attachment_complete', { projectId: current.projectId });
    await api.complete(ctx, current.id);
    return reply.code(204).send();
  });
}
