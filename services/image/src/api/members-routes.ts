/** /v2/images/{id}/members: share an image with other projects, who accept or reject it. */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '@strata/errors';
import { contextOf } from '@strata/auth';
import type { ImageApi } from '../image-api.js';
import { memberView } from './images-views.js';
import { noContent } from './route-helpers.js';

type IdParams = { id: string };
type MemberParams = { id: string; member: string };

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Request body must be a JSON object.', {}, 'InvalidBody');
  return body as Record<string, unknown>;
}

/** Register the member routes. */
export function registerMembersRoutes(app: FastifyInstance, api: ImageApi): void {
  app.get('/v2/images/:id/members', async (request) => ({
    members: (await api.listMembers(contextOf(request), (request.params as IdParams).id)).map(memberView),
    schema: '/v2/schemas/members',
  }));

  app.post('/v2/images/:id/members', async (request) => memberView(await api.addMember(contextOf(request), (request.params as IdParams).id, objectBody(request.body).member)));

  app.get('/v2/images/:id/members/:member', async (request) => {
    const { id, member } = request.params as MemberParams;
    return memberView(await api.getMember(contextOf(request), id, member));
  });

  app.put('/v2/images/:id/members/:member', async (request) => {
    const { id, member } = request.params as MemberParams;
    return memberView(await api.updateMember(contextOf(request), id, member, objectBody(request.body).status));
  });

  app.delete('/v2/images/:id/members/:member', async (request, reply) => {
    const { id, member } = request.params as MemberParams;
    await api.deleteMember(contextOf(request), id, member);
    return noContent(reply);
  });
}
