/** /v3/OS-TRUST/trusts: create, list, show and delete trusts, and read their delegated roles. */
import type { FastifyInstance } from 'fastify';
import { queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import type { TrustInput } from '../trust-api.js';
import { base, callerToken, extraOf, schemas, selfUrl } from './route-helpers.js';
import { collection, roleView, trustView } from './identity-views.js';

const roleRef = { type: 'object', properties: { id: schemas.id, name: schemas.name }, minProperties: 1 };

const trustBody = {
  type: 'object',
  required: ['trust'],
  properties: {
    trust: {
      type: 'object',
      required: ['trustor_user_id', 'trustee_user_id', 'impersonation'],
      properties: {
        trustor_user_id: schemas.id,
        trustee_user_id: schemas.id,
        impersonation: { type: 'boolean' },
        project_id: schemas.nullableId,
        roles: { type: 'array', items: roleRef },
        expires_at: { type: ['string', 'null'] },
        remaining_uses: { type: ['integer', 'null'], minimum: 1 },
        allow_redelegation: { type: ['boolean', 'null'] },
        redelegation_count: { type: ['integer', 'null'], minimum: 0 },
      },
    },
  },
};

const KNOWN = ['id', 'trustor_user_id', 'trustee_user_id', 'impersonation', 'project_id', 'roles', 'expires_at', 'remaining_uses', 'allow_redelegation', 'redelegation_count', 'links'];

/** Register OS-TRUST routes. */
export function registerTrustRoutes(app: FastifyInstance, api: IdentityApi): void {
  app.post('/v3/OS-TRUST/trusts', { schema: { body: trustBody } }, async (request, reply) => {
    const caller = await callerToken(api, request);
    const t = (request.body as { trust: Record<string, unknown> & Omit<TrustInput, 'allow_redelegation'> & { allow_redelegation?: boolean | null } }).trust;
    const trust = await api.trusts.create(caller, {
      trustor_user_id: t.trustor_user_id,
      trustee_user_id: t.trustee_user_id,
      impersonation: t.impersonation,
      ...(t.project_id !== undefined ? { project_id: t.project_id } : {}),
      ...(t.roles !== undefined ? { roles: t.roles } : {}),
      ...(t.expires_at !== undefined ? { expires_at: t.expires_at } : {}),
      ...(t.remaining_uses !== undefined ? { remaining_uses: t.remaining_uses } : {}),
      ...(t.allow_redelegation != null ? { allow_redelegation: t.allow_redelegation } : {}),
      extra: extraOf(t, KNOWN),
    });
    const roles = await api.roles.list({ ids: trust.roleIds });
    return reply.code(201).send({ trust: trustView(trust, base(request), roles) });
  });

  app.get('/v3/OS-TRUST/trusts', async (request) => {
    const caller = await callerToken(api, request);
    const q = request.query as Query;
    const trustorUserId = queryString(q, 'trustor_user_id');
    const trusteeUserId = queryString(q, 'trustee_user_id');
    const trusts = await api.trusts.list(caller, { ...(trustorUserId !== undefined ? { trustorUserId } : {}), ...(trusteeUserId !== undefined ? { trusteeUserId } : {}) });
    return collection('trusts', trusts.map((t) => trustView(t, base(request))), selfUrl(request));
  });

  app.get('/v3/OS-TRUST/trusts/:id', async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as { id: string };
    const trust = await api.trusts.get(caller, id);
    return { trust: trustView(trust, base(request), await api.roles.list({ ids: trust.roleIds })) };
  });

  app.delete('/v3/OS-TRUST/trusts/:id', async (request, reply) => {
    const caller = await callerToken(api, request);
    await api.trusts.delete(caller, (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get('/v3/OS-TRUST/trusts/:id/roles', async (request) => {
    const caller = await callerToken(api, request);
    const roles = await api.trusts.roles(caller, (request.params as { id: string }).id);
    return collection('roles', roles.map((r) => roleView(r, base(request))), selfUrl(request));
  });

  app.get('/v3/OS-TRUST/trusts/:id/roles/:roleId', async (request) => {
    const caller = await callerToken(api, request);
    const { id, roleId } = request.params as { id: string; roleId: string };
    return { role: roleView(await api.trusts.role(caller, id, roleId), base(request)) };
  });
}
