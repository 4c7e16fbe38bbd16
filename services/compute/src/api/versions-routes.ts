/** Version discovery: GET / (list) and GET /v2.1 (current), unauthenticated, as nova serves them. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseOf } from './route-helpers.js';
import { MAX_VERSION, MIN_VERSION } from './microversion.js';

const MEDIA = [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }];

function v21(request: FastifyRequest): Record<string, unknown> {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION.toString(),
    min_version: MIN_VERSION.toString(),
    updated: '2013-07-23T11:33:21Z',
    links: [
      { rel: 'self', href: `${baseOf(request)}/v2.1/` },
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
    ],
    'media-types': MEDIA,
  };
}

/** True for the paths that need no token. */
export function isVersionPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/' || path === '' || path === '/v2.1' || path === '/v2.1/' || path === '/v2' || path === '/v2/';
}

/** Register discovery routes. */
export function registerVersionRoutes(app: FastifyInstance): void {
  app.get('/', async (request) => ({
    versions: [
      { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{ rel: 'self', href: `${baseOf(request)}/v2/` }] },
      { ...v21(request), media_types: undefined },
    ].map((v) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined))),
  }));
  app.get('/v2.1', async (request) => ({ version: v21(request) }));
  app.get('/v2', async (request) => ({
    version: { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{ rel: 'self', href: `${baseOf(request)}/v2/` }, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }], 'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' }] },
  }));
}
