/** /v3/auth: issue, validate, check and revoke tokens; the caller's catalog, projects, domains and system. */
import type { FastifyInstance } from 'fastify';
import { BadRequest, Forbidden } from '@strata/errors';
import { queryFlag, type Query } from '@strata/http';
import type { Tracer } from '@strata/trace';
import type { AuthIdentity, AuthScope, IdentityApi } from '../identity-api.js';
import { isAdmin, hasAnyRole } from '../identity-context.js';
import { base, callerToken, selfUrl } from './route-helpers.js';
import { collection, domainView, projectView, tokenView } from './identity-views.js';

const domainRef = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } };
const authSchema = {
  type: 'object',
  required: ['auth'],
  properties: {
    auth: {
      type: 'object',
      required: ['identity'],
      properties: {
        identity: {
          type: 'object',
          required: ['methods'],
          properties: {
            methods: { type: 'array', items: { type: 'string' }, minItems: 1 },
            password: {
              type: 'object',
              required: ['user'],
              properties: { user: { type: 'object', required: ['password'], properties: { id: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, domain: domainRef } } },
            },
            token: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
            application_credential: {
              type: 'object',
              required: ['secret'],
              properties: { id: { type: 'string' }, name: { type: 'string' }, secret: { type: 'string' }, user: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, domain: domainRef } } },
            },
          },
        },
        scope: {
          anyOf: [
            { type: 'string', enum: ['unscoped'] },
            {
              type: 'object',
              properties: {
                project: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, domain: domainRef } },
                domain: domainRef,
                system: { type: 'object', properties: { all: { type: 'boolean' } } },
                'OS-TRUST:trust': { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
              },
            },
          ],
        },
      },
    },
  },
} as const;

/** Register /v3/auth/*. */
export function registerAuthRoutes(app: FastifyInstance, api: IdentityApi, tracer: Tracer): void {
  app.post('/v3/auth/tokens', { schema: { body: authSchema } }, async (request, reply) => {
    const body = request.body as { auth: { identity: AuthIdentity; scope?: AuthScope | 'unscoped' } };
    const trace = tracer.begin(request.globalRequestId ?? request.id);
    const started = Date.now();
    trace.record({ step: 1, component: 'keystone', kind: 'http', startedAt: started, durationMs: 0, outcome: 'ok', detail: 'credentials received' });
    let token;
    try {
      token = await api.authenticate(body.auth.identity, body.auth.scope);
    } catch (err) {
      trace.record({ step: 2, component: 'keystone', kind: 'db', startedAt: started, durationMs: Date.now() - started, outcome: 'error', detail: (err as Error).message });
      throw err;
    }
    trace.record({ step: 2, component: 'keystone', kind: 'db', startedAt: started, durationMs: Date.now() - started, outcome: 'ok', detail: 'token issued' });
    const q = request.query as Query;
    const catalog = queryFlag(q, 'nocatalog') ? undefined : await api.catalogFor(token.project?.id);
    return reply.code(201).header('x-subject-token', token.id).send(tokenView(token, catalog));
  });

  const subject = (headers: Record<string, unknown>): string => {
    const s = headers['x-subject-token'];
    if (typeof s !== 'string' || s === '') throw new BadRequest('X-Subject-Token is required.', {}, 'ValidationError');
    return s;
  };

  app.get('/v3/auth/tokens', async (request, reply) => {
    const trace = tracer.begin(request.globalRequestId ?? request.id);
    const started = Date.now();
    const caller = await callerToken(api, request);
    const subjectId = subject(request.headers);
    trace.record({ step: 4, component: 'keystone', kind: 'http', startedAt: started, durationMs: 0, outcome: 'ok', detail: 'validate token' });
    let token;
    try {
      token = await api.validate(subjectId);
    } catch (err) {
      trace.record({ step: 5, component: 'keystone', kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: 'error', detail: (err as Error).message });
      throw err;
    }
    // keystone's service_admin_or_token_subject: admins and services validate any token, users their own.
    if (token.user.id !== caller.user.id && !hasAnyRole(caller, ['admin', 'service'])) throw new Forbidden('You are not authorized to perform the requested action: identity:validate_token.');
    trace.record({ step: 5, component: 'keystone', kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: 'ok', detail: 'token valid' });
    const q = request.query as Query;
    const catalog = queryFlag(q, 'nocatalog') ? undefined : await api.catalogFor(token.project?.id);
    const view = tokenView(token, catalog) as { token: Record<string, unknown> };
    // Strata's own, only for validators that ask (X-Strata-Auth-Timing): when and how long the token's authentication ran.
    if (request.headers['x-strata-auth-timing'] !== undefined && token.payload.authMs !== undefined) {
      view.token['strata:authentication'] = { started_at: new Date(Date.parse(token.payload.issuedAt) - token.payload.authMs).toISOString(), duration_ms: token.payload.authMs };
    }
    return reply.header('x-subject-token', subjectId).send(view);
  });

  app.delete('/v3/auth/tokens', async (request, reply) => {
    const caller = await callerToken(api, request);
    const subjectId = subject(request.headers);
    if (subjectId !== caller.id && !isAdmin(caller)) {
      const target = await api.validate(subjectId);
      if (target.user.id !== caller.user.id) throw new Forbidden('You are not authorized to perform the requested action: identity:revoke_token.');
    }
    await api.revokeToken(subjectId);
    return reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (request) => {
    const caller = await callerToken(api, request);
    if (caller.payload.scope.kind === 'unscoped') throw new Forbidden('The catalog requires a scoped token.');
    return { catalog: await api.catalogFor(caller.project?.id), links: { self: selfUrl(request), previous: null, next: null } };
  });

  app.get('/v3/auth/projects', async (request) => {
    const caller = await callerToken(api, request);
    const projects = (await api.projectsForUser(caller.user.id)).filter((p) => p.enabled);
    return collection('projects', projects.map((p) => projectView(p, base(request))), selfUrl(request));
  });

  app.get('/v3/auth/domains', async (request) => {
    const caller = await callerToken(api, request);
    const domains = (await api.domainsForUser(caller.user.id)).filter((d) => d.enabled);
    return collection('domains', domains.map((d) => domainView(d, base(request))), selfUrl(request));
  });

  app.get('/v3/auth/system', async (request) => {
    const caller = await callerToken(api, request);
    const roles = await api.effectiveRoleIds(caller.user.id, { kind: 'system' });
    return { system: roles.length > 0 ? [{ all: true }] : [], links: { self: selfUrl(request), previous: null, next: null } };
  });
}
