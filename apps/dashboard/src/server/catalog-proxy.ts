/**
 * The same-origin API proxy: `/api/<service-type>/<path>` goes to the origin of that service in
 * keystone's catalog, with the caller's headers (their token) and body passed through untouched.
 * Only origins found in the catalog are reachable, so this is no open proxy.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import replyFrom from '@fastify/reply-from';
import type { Logger } from '@strata/log';

const TYPE_RE = /^[a-z][a-z0-9-]{0,63}$/;
const CATALOG_TTL_MS = 60_000;

interface CatalogEntry {
  readonly type: string;
  readonly endpoints: ReadonlyArray<{ readonly interface: string; readonly url: string }>;
}

/** Service type → origin (scheme://host:port), learnt from keystone's catalog with a caller's token. */
export class CatalogOrigins {
  readonly #authUrl: string;
  readonly #logger: Logger;
  #origins = new Map<string, string>();
  #fetchedAt = 0;
  #pending: Promise<void> | undefined;

  constructor(authUrl: string, logger: Logger) {
    this.#authUrl = authUrl;
    this.#logger = logger;
  }

  /** The origin of a service type, or undefined when the catalog has no such service. */
  async origin(type: string, token: string | undefined): Promise<string | undefined> {
    if (type === 'identity') return new URL(this.#authUrl).origin;
    const fresh = Date.now() - this.#fetchedAt < CATALOG_TTL_MS;
    if ((!fresh || !this.#origins.has(type)) && token !== undefined) {
      this.#pending ??= this.#refresh(token).finally(() => (this.#pending = undefined));
      await this.#pending;
    }
    return this.#origins.get(type);
  }

  async #refresh(token: string): Promise<void> {
    try {
      const res = await fetch(`${this.#authUrl}/auth/catalog`, { headers: { 'x-auth-token': token, accept: 'application/json' } });
      if (!res.ok) return;
      const body = (await res.json()) as { catalog?: CatalogEntry[] };
      const next = new Map<string, string>();
      for (const svc of body.catalog ?? []) {
        const ep = svc.endpoints.find((e) => e.interface === 'public') ?? svc.endpoints[0];
        if (ep !== undefined) next.set(svc.type, new URL(ep.url).origin);
      }
      this.#origins = next;
      this.#fetchedAt = Date.now();
    } catch (err) {
      this.#logger.warn({ err }, 'dashboard: could not read the catalog');
    }
  }
}

/** Register `/api/:type/*` on an app (an encapsulated plugin: its body parsers pass raw streams). */
export async function registerApiProxy(app: FastifyInstance, origins: CatalogOrigins): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    await scope.register(replyFrom, { undici: { headersTimeout: 300_000, bodyTimeout: 0 } });
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { type } = request.params as { type: string };
      const rest = request.url.slice(`/api/${type}`.length);
      const token = request.headers['x-auth-token'];
      const origin = TYPE_RE.test(type) ? await origins.origin(type, typeof token === 'string' ? token : undefined) : undefined;
      if (origin === undefined) {
        return reply.code(404).send({ error: { code: 404, title: 'Not Found', message: `No service of type ${type} in the catalog` } });
      }
      return reply.from(`${origin}${rest.startsWith('/') ? rest : `/${rest}`}`, {
        rewriteRequestHeaders: (_req, headers) => {
          const { cookie: _cookie, origin: _origin, referer: _referer, ...kept } = headers;
          return kept;
        },
      });
    };
    scope.all('/api/:type', handler);
    scope.all('/api/:type/*', handler);
  });
}
