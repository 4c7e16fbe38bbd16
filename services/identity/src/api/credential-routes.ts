/** /v3/credentials and /v3/users/{id}/credentials/OS-EC2: create, list, show, update and delete stored credentials. */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import { base, callerToken, extraOf, schemas, selfUrl } from './route-helpers.js';
import { collection, credentialView, ec2CredentialView } from './identity-views.js';

const KNOWN = ['id', 'user_id', 'project_id', 'type', 'blob', 'links'];

const credentialBody = (required: string[]) => ({
  type: 'object',
  required: ['credential'],
  properties: {
    credential: {
      type: 'object',
      required,
      minProperties: 1,
      properties: { user_id: schemas.id, project_id: schemas.nullableId, type: { type: 'string', minLength: 1, maxLength: 255 }, blob: { type: 'string', minLength: 1 } },
    },
  },
});

type CredentialBody = Record<string, unknown> & { user_id?: string; project_id?: string | null; type?: string; blob?: string; id?: string };

/** Register credential and OS-EC2 routes. */
export function registerCredentialRoutes(app: FastifyInstance, api: IdentityApi): void {
  app.post('/v3/credentials', { schema: { body: credentialBody(['user_id', 'type', 'blob']) } }, async (request, reply) => {
    const caller = await callerToken(api, request);
    const c = (request.body as { credential: CredentialBody & { user_id: string; type: string; blob: string } }).credential;
    const created = await api.credentials.create(caller, {
      user_id: c.user_id,
      type: c.type,
      blob: c.blob,
      ...(c.project_id !== undefined ? { project_id: c.project_id } : {}),
      extra: extraOf(c, KNOWN),
    });
    return reply.code(201).send({ credential: credentialView(created, base(request)) });
  });

  app.get('/v3/credentials', async (request) => {
    const caller = await callerToken(api, request);
    const q = request.query as Query;
    const userId = queryString(q, 'user_id');
    const type = queryString(q, 'type');
    const creds = await api.credentials.list(caller, { ...(userId !== undefined ? { userId } : {}), ...(type !== undefined ? { type } : {}) });
    return collection('credentials', creds.map((c) => credentialView(c, base(request))), selfUrl(request));
  });

  app.get('/v3/credentials/:id', async (request) => {
    const caller = await callerToken(api, request);
    return { credential: credentialView(await api.credentials.get(caller, (request.params as { id: string }).id), base(request)) };
  });

  app.patch('/v3/credentials/:id', { schema: { body: credentialBody([]) } }, async (request) => {
    const caller = await callerToken(api, request);
    const { id } = request.params as { id: string };
    const c = (request.body as { credential: CredentialBody }).credential;
    if (c.id !== undefined && c.id !== id) throw new BadRequest('Cannot change ID', {}, 'ValidationError');
    const updated = await api.credentials.update(caller, id, {
      ...(c.user_id !== undefined ? { user_id: c.user_id } : {}),
      ...(c.project_id !== undefined ? { project_id: c.project_id } : {}),
      ...(c.type !== undefined ? { type: c.type } : {}),
      ...(c.blob !== undefined ? { blob: c.blob } : {}),
      extra: extraOf(c, KNOWN),
    });
    return { credential: credentialView(updated, base(request)) };
  });

  app.delete('/v3/credentials/:id', async (request, reply) => {
    const caller = await callerToken(api, request);
    await api.credentials.delete(caller, (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  // ---- OS-EC2 ------------------------------------------------------------------------
  const ec2Body = { type: 'object', properties: { tenant_id: schemas.id } };

  app.post('/v3/users/:userId/credentials/OS-EC2', { schema: { body: ec2Body } }, async (request, reply) => {
    const caller = await callerToken(api, request);
    const { userId } = request.params as { userId: string };
    const tenantId = ((request.body ?? {}) as { tenant_id?: string }).tenant_id;
    const cred = await api.credentials.createEc2(caller, userId, tenantId);
    return reply.code(201).send({ credential: ec2CredentialView(cred, base(request)) });
  });

  app.get('/v3/users/:userId/credentials/OS-EC2', async (request) => {
    const caller = await callerToken(api, request);
    const creds = await api.credentials.listEc2(caller, (request.params as { userId: string }).userId);
    return collection('credentials', creds.map((c) => ec2CredentialView(c, base(request))), selfUrl(request));
  });

  app.get('/v3/users/:userId/credentials/OS-EC2/:access', async (request) => {
    const caller = await callerToken(api, request);
    const { userId, access } = request.params as { userId: string; access: string };
    return { credential: ec2CredentialView(await api.credentials.getEc2(caller, userId, access), base(request)) };
  });

  app.delete('/v3/users/:userId/credentials/OS-EC2/:access', async (request, reply) => {
    const caller = await callerToken(api, request);
    const { userId, access } = request.params as { userId: string; access: string };
    await api.credentials.deleteEc2(caller, userId, access);
    return reply.code(204).send();
  });
}
