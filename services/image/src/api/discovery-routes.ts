/** Image version discovery: GET / and GET /versions answer 300 with glance's version list. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '@strata/http';

/** The newest minor version we implement (2.12 added GET /v2/images/{id}/tasks). */
export const CURRENT_VERSION = '2.12';

function versions(request: FastifyRequest): object[] {
  const href = `${requestBaseUrl(request)}/v2/`;
  const minor = Number(CURRENT_VERSION.split('.')[1]);
  const out: object[] = [];
  for (let m = minor; m >= 0; m -= 1) {
    out.push({ id: `v2.${m}`, status: m === minor ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href }] });
  }
  return out;
}

/** Register the discovery documents (no authentication). */
export function registerDiscoveryRoutes(app: FastifyInstance): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => reply.code(300).send({ versions: versions(request) });
  app.get('/', handler);
  app.get('/versions', handler);
}
