/** /v3/policies: store, list, show, update and delete policy blobs (admin only). */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import { base, callerToken, extraOf, requireAdmin, selfUrl } from './route-helpers.js';
import { collection, policyView } from './identity-views.js';

const policyBody = (required: string[]) => ({
  type: 'object',
  required: ['policy'],
  properties: { policy: { type: 'object', required, properties: { type: { type: 'string', minLength: 1, maxLength: 255 }, blob: { type: 'string', minLength: 1 } } } },
});

const KNOWN = ['id', 'type', 'blob', 'links'];

/** Register policy routes. */
export function registerPolicyRoutes(app: FastifyInstance, api: IdentityApi): void {
  app.post('/v3/policies', { schema: { body: policyBody(['type', 'blob']) } }, async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:create_policy');
    const p = (request.body as { policy: Record<string, unknown> & { type: string; blob: string } }).policy;
    const created = await api.policies.create({ type: p.type, blob: p.blob, extra: extraOf(p, KNOWN) });
    return reply.code(201).send({ policy: policyView(created, base(request)) });
  });

  app.get('/v3/policies', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:list_policies');
    const type = queryString(request.query as Query, 'type');
    const policies = await api.policies.list(type !== undefined ? { type } : {});
    return collection('policies', policies.map((p) => policyView(p, base(request))), selfUrl(request));
  });

  app.get('/v3/policies/:id', async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:get_policy');
    return { policy: policyView(await api.policies.get((request.params as { id: string }).id), base(request)) };
  });

  app.patch('/v3/policies/:id', { schema: { body: policyBody([]) } }, async (request) => {
    requireAdmin(await callerToken(api, request), 'identity:update_policy');
    const { id } = request.params as { id: string };
    const p = (request.body as { policy: Record<string, unknown> & { type?: string; blob?: string } }).policy;
    if (p.id !== undefined && p.id !== id) throw new BadRequest('Cannot change ID', {}, 'ValidationError');
    const updated = await api.policies.update(id, { ...(p.type !== undefined ? { type: p.type } : {}), ...(p.blob !== undefined ? { blob: p.blob } : {}), extra: extraOf(p, KNOWN) });
    return { policy: policyView(updated, base(request)) };
  });

  app.delete('/v3/policies/:id', async (request, reply) => {
    requireAdmin(await callerToken(api, request), 'identity:delete_policy');
    await api.policies.delete((request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
