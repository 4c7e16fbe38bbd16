/** Block Storage version discovery: GET / (300 with the version list) and GET /v3 (200), no token needed. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '@strata/http';
import { MAX_VERSION, MIN_VERSION } from './microversion.js';

/** The v3 version object, as cinder/api/views/versions.py builds it. */
export function v3Version(request: FastifyRequest): Record<string, unknown> {
  return {
    id: 'v3.0',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: '2023-08-31T00:00:00Z',
    links: [
      { href: 'https://docs.openstack.org/', type: 'text/html', rel: 'describedby' },
      { href: `${requestBaseUrl(request)}/v3/`, rel: 'self' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
  };
}

/** True for the discovery paths (public). */
export function isDiscoveryPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/' || path === '' || path === '/v3' || path === '/v3/';
}

/** Register `GET /` and `GET /v3`. */
export function registerDiscoveryRoutes(app: FastifyInstance): void {
  app.get('/', async (request, reply) => reply.code(300).header('location', `${requestBaseUrl(request)}/v3/`).send({ versions: [v3Version(request)] }));
  app.get('/v3', async (request) => ({ versions: [v3Version(request)] }));
}
