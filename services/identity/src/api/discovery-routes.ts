/** Identity version discovery: GET / (300 with the version list) and GET /v3. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '@strata/http';

function v3(request: FastifyRequest): object {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${requestBaseUrl(request)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** Register the discovery documents (no authentication). */
export function registerDiscoveryRoutes(app: FastifyInstance): void {
  app.get('/', async (request, reply) => {
    return reply.code(300).header('location', `${requestBaseUrl(request)}/v3/`).send({ versions: { values: [v3(request)] } });
  });
  app.get('/v3', async (request) => ({ version: v3(request) }));
}
