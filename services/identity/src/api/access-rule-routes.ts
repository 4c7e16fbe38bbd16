/** /v3/users/{id}/access_rules: list, show and delete the access rules a user's application credentials use. */
import type { FastifyInstance } from 'fastify';
import { Forbidden } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import type { ValidatedToken } from '../identity-context.js';
import { base, callerToken, requireAdmin, selfUrl } from './route-helpers.js';
import { accessRuleView, collection } from './identity-views.js';

type Params = { userId: string; id: string };

/** keystone does not let a token made from an application credential manage access rules. */
function refuseAppCred(caller: ValidatedToken): void {
  if (caller.appCred !== undefined) throw new Forbidden("You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing access rules.", {}, 'ForbiddenAction');
}

/** Register access rule routes (the owner, or an admin). */
export function registerAccessRuleRoutes(app: FastifyInstance, api: IdentityApi): void {
  app.get('/v3/users/:userId/access_rules', async (request) => {
    const caller = await callerToken(api, request);
    const { userId } = request.params as Params;
    requireAdmin(caller, 'identity:list_access_rules', caller.user.id === userId);
    refuseAppCred(caller);
    await api.users.get(userId);
    const q = request.query as Query;
    const service = queryString(q, 'service');
    const path = queryString(q, 'path');
    const method = queryString(q, 'method');
    const rules = await api.accessRules.list(userId, { ...(service !== undefined ? { service } : {}), ...(path !== undefined ? { path } : {}), ...(method !== undefined ? { method } : {}) });
    return collection('access_rules', rules.map((r) => accessRuleView(r, base(request))), selfUrl(request));
  });

  app.get('/v3/users/:userId/access_rules/:id', async (request) => {
    const caller = await callerToken(api, request);
    const { userId, id } = request.params as Params;
    requireAdmin(caller, 'identity:get_access_rule', caller.user.id === userId);
    refuseAppCred(caller);
    return { access_rule: accessRuleView(await api.accessRules.get(userId, id), base(request)) };
  });

  app.delete('/v3/users/:userId/access_rules/:id', async (request, reply) => {
    const caller = await callerToken(api, request);
    const { userId, id } = request.params as Params;
    requireAdmin(caller, 'identity:delete_access_rule', caller.user.id === userId);
    refuseAppCred(caller);
    await api.accessRules.delete(userId, id);
    return reply.code(204).send();
  });
}
