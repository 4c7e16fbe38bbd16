/** /v3/OS-OAUTH1/consumers: register, list, show, update and delete OAuth1 consumers. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '@strata/errors';
import type { IdentityApi } from '../identity-api.js';
import { base, callerToken, extraOf, requireAdmin, schemas, selfUrl } from './route-helpers.js';
import { collection, consumerView } from './identity-views.js';

const consumerBody = (update: boolean) => ({
  type: 'object',
  required: ['consumer'],
  properties: { consumer: { type: 'object', properties: { description: schemas.description }, ...(update ? { minProperties: 1 } : {}) } },
});

const KNOWN = ['id', 'description', 'secret', 'links'];

/** Register OS-OAUTH1 consumer routes (admin only, as keystone's defaults). */
export function registerOAuthConsumerRoutes(app: FastifyInstance, api: IdentityApi): void {
  app.post('/v3/OS-OAUTH1/consumers', { schema: { body: consumerBody(false) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_consumer');
    const c = (request.body as { consumer: Record<string, unknown> & { description?: string | null } }).consumer;
    const created = await api.consumers.create({ description: c.description ?? '', secret: randomBytes(24).toString('base64url'), extra: extraOf(c, KNOWN) });
    return reply.code(201).send({ consumer: consumerView(created, base(request), created.secret) });
  });

  app.get('/v3/OS-OAUTH1/consumers', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_consumers');
    const consumers = await api.consumers.list();
    return collection('consumers', consumers.map((c) => consumerView(c, base(request))), selfUrl(request));
  });

  app.get('/v3/OS-OAUTH1/consumers/:id', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_consumer');
    return { consumer: consumerView(await api.consumers.get((request.params as { id: string }).id), base(request)) };
  });

  app.patch('/v3/OS-OAUTH1/consumers/:id', { schema: { body: consumerBody(true) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_consumer');
    const { id } = request.params as { id: string };
    const c = (request.body as { consumer: Record<string, unknown> & { description?: string | null } }).consumer;
    if ('secret' in c) throw new BadRequest('The secret of a consumer cannot be changed.', {}, 'ValidationError');
    if (c.id !== undefined && c.id !== id) throw new BadRequest('Cannot change ID', {}, 'ValidationError');
    const updated = await api.consumers.update(id, { ...(c.description !== undefined ? { description: c.description ?? '' } : {}), extra: extraOf(c, KNOWN) });
    return { consumer: consumerView(updated, base(request)) };
  });

  app.delete('/v3/OS-OAUTH1/consumers/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_consumer');
    await api.consumers.delete((request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
