/** The dashboard's web server: the built single-page app plus the same-origin API proxy. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '@strata/log';
import { CatalogOrigins, registerApiProxy } from './catalog-proxy.js';
import { DIST_DIR } from './build.js';

/** How to build the server. */
export interface DashboardServerOptions {
  /** Keystone's auth URL (…/v3): where logins go and where the catalog is read. */
  readonly authUrl: string;
  readonly logger: Logger;
  /** Where the built bundle is (default apps/dashboard/dist). */
  readonly distDir?: string;
  /** True while a build is running: pages answer 503 "building" until it is done. */
  readonly building?: () => boolean;
}

const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

const BUILDING_PAGE = `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>Strata</title></head>
<body style="font-family:sans-serif;padding:2em"><h1>Strata dashboard</h1><p>The dashboard is being built; this page reloads when it is ready.</p></body></html>`;

/** A Fastify app serving the dashboard. */
export async function createDashboardServer(opts: DashboardServerOptions): Promise<FastifyInstance> {
  const distDir = opts.distDir ?? DIST_DIR;
  const app = Fastify({
    loggerInstance: opts.logger.child({ service: 'dashboard' }).pino as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 1024 },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });
  await registerApiProxy(app, new CatalogOrigins(opts.authUrl, opts.logger));
  const ready = (): boolean => opts.building?.() !== true && existsSync(join(distDir, 'index.html'));
  await app.register(fastifyStatic, { root: distDir, serve: false, cacheControl: false });
  const sendIndex = async (reply: FastifyReply): Promise<unknown> => {
    if (!ready()) return reply.code(503).type('text/html').header('retry-after', '3').send(BUILDING_PAGE);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };
  app.get('/', async (_req, reply) => sendIndex(reply));
  app.get('/assets/*', async (request, reply) => {
    if (!ready()) return reply.code(503).send();
    const file = (request.params as { '*': string })['*'];
    // vite writes flat, hashed names: anything else is not ours.
    if (!ASSET_NAME.test(file)) return reply.code(404).send({ error: { code: 404, title: 'Not Found', message: 'Not found' } });
    return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(`assets/${file}`);
  });
  // Client-side routes: any other GET that is not an API call gets the app.
  app.setNotFoundHandler(async (request, reply) => {
    if (request.method === 'GET' && !request.url.startsWith('/api/') && !request.url.startsWith('/assets/')) return sendIndex(reply);
    return reply.code(404).send({ error: { code: 404, title: 'Not Found', message: 'Not found' } });
  });
  return app;
}
