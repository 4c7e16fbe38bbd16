/** /v3/users/{id}/application_credentials: create (secret shown once), list, show, delete. */
import type { FastifyInstance } from 'fastify';
import { queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import type { AccessRuleSpec } from '../objects/access-rule.js';
import { base, callerToken, requireAdmin, schemas, selfUrl } from './route-helpers.js';
import { appCredentialView, collection } from './identity-views.js';

const body = {
  type: 'object',
  required: ['application_credential'],
  properties: {
    application_credential: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: schemas.name,
        description: schemas.description,
        secret: { type: ['string', 'null'], minLength: 1 },
        expires_at: { type: ['string', 'null'] },
        roles: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } } },
        unrestricted: { type: ['boolean', 'null'] },
        access_rules: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              path: { type: 'string', maxLength: 225, pattern: '^/' },
              method: { type: 'string', enum: ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'] },
              service: { type: 'string', minLength: 1, maxLength: 64 },
              id: { type: 'string', minLength: 1, maxLength: 64 },
            },
          },
        },
      },
    },
  },
};

/** Register application credential routes. */
export function registerAppCredentialRoutes(app: FastifyInstance, api: IdentityApi): void {
  app.post('/v3/users/:userId/application_credentials', { schema: { body } }, async (request, reply) => {
    const caller = await callerToken(api, request);
    const { userId } = request.params as { userId: string };
    const a = (request.body as { application_credential: { name: string; description?: string | null; secret?: string | null; expires_at?: string | null; roles?: Array<{ id?: string; name?: string }>; unrestricted?: boolean | null; access_rules?: AccessRuleSpec[] } }).application_credential;
    const cred = await api.createAppCredential(caller, userId, {
      name: a.name,
      ...(a.secret != null ? { secret: a.secret } : {}),
      ...(a.description != null ? { description: a.description } : {}),
      expires_at: a.expires_at ?? null,
      ...(a.unrestricted != null ? { unrestricted: a.unrestricted } : {}),
      ...(a.roles !== undefined ? { roles: a.roles } : {}),
      ...(a.access_rules !== undefined ? { access_rules: a.access_rules } : {}),
    });
    return reply.code(201).send({ application_credential: appCredentialView(cred, base(request), cred.secret) });
  });

  app.get('/v3/users/:userId/application_credentials', async (request) => {
    const caller = await callerToken(api, request);
    const { userId } = request.params as { userId: string };
    requireAdmin(caller, 'identity:list_application_credentials', caller.user.id === userId);
    await api.users.get(userId);
    const creds = await api.appCreds.list(userId, queryString(request.query as Query, 'name'));
    return collection('application_credentials', creds.map((c) => appCredentialView(c, base(request))), selfUrl(request));
  });

  app.get('/v3/users/:userId/application_credentials/:id', async (request) => {
    const caller = await callerToken(api, request);
    const { userId, id } = request.params as { userId: string; id: string };
    requireAdmin(caller, 'identity:get_application_credential', caller.user.id === userId);
    return { application_credential: appCredentialView(await api.appCreds.get(userId, id), base(request)) };
  });

  app.delete('/v3/users/:userId/application_credentials/:id', async (request, reply) => {
    const caller = await callerToken(api, request);
    const { userId, id } = request.params as { userId: string; id: string };
    requireAdmin(caller, 'identity:delete_application_credential', caller.user.id === userId);
    await api.deleteAppCredential(userId, id);
    return reply.code(204).send();
  });
}
