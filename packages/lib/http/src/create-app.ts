/** The Fastify app factory every Strata API uses: request ids, OpenStack error bodies, body limits, one log line a request. */
import { randomUUID } from 'node:crypto';
import FindMyWay from 'find-my-way';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { BadRequest, InternalError, isOpenStackError, NotFound, OpenStackError, OverLimit, UnsupportedMediaType, MethodNotAllowed } from '@strata/errors';
import type { Logger } from '@strata/log';
import { renderError, type ErrorDialect } from './error-dialects.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The global request id a calling service passed on (`X-OpenStack-Request-Id`), if any. */
    globalRequestId: string | undefined;
  }
}

/** Options of createApp. */
export interface CreateAppOptions {
  /** The service name, bound to every log line. */
  readonly service: string;
  /** Which OpenStack error body to render. */
  readonly dialect: ErrorDialect;
  readonly logger: Logger;
  /** Largest accepted body in bytes; larger bodies get 413. @default 1 MiB */
  readonly bodyLimit?: number;
  /** Extra response header carrying the request id (nova: x-compute-request-id). */
  readonly requestIdHeader?: string;
}

/** The methods an Allow header may list, in the order it lists them. */
const ALLOW_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const isAllowMethod = (m: string): m is (typeof ALLOW_ORDER)[number] => (ALLOW_ORDER as readonly string[]).includes(m);

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Map any error Fastify or a handler throws to an OpenStackError. */
export function toOpenStackError(err: unknown): OpenStackError {
  if (isOpenStackError(err)) return err;
  const fe = err as FastifyError & { validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>; validationContext?: string };
  if (fe.validation !== undefined) {
    const first = fe.validation[0];
    const path = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const extra = first?.params?.additionalProperty;
    const missing = first?.params?.missingProperty;
    let detail = first?.message ?? 'is invalid';
    if (typeof extra === 'string') detail = `Additional properties are not allowed ('${extra}' was unexpected)`;
    if (typeof missing === 'string') detail = `'${missing}' is a required property`;
    const field = path === '' ? fe.validationContext ?? 'body' : path;
    return new BadRequest(`Invalid input for field '${field}': ${detail}`, {}, 'ValidationError');
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OverLimit('Request is too large.', {}, 'RequestEntityTooLarge');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType(`Unsupported Content-Type`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BadRequest('The request body is empty or malformed.');
  }
  if (fe instanceof SyntaxError || fe.statusCode === 400) return new BadRequest(`Malformed request body: ${fe.message}`);
  if (fe.statusCode === 405) return new MethodNotAllowed();
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return new OpenStackError(fe.statusCode, fe.code ?? 'HTTPError', fe.message);
  return new InternalError(undefined, { cause: err });
}

/** Build a Fastify app with Strata's edge behaviour. Routes are added by the caller. */
export function createApp(options: CreateAppOptions): FastifyInstance {
  const log = options.logger.child({ service: options.service });
  const app = Fastify({
    loggerInstance: log.pino as unknown as FastifyBaseLogger,
    // One line per request comes from our onResponse hook; Fastify's own request logs are off.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    genReqId: () => `req-${randomUUID()}`,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  });

  // Clients often send Content-Type: application/json with an empty body on DELETE/GET.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new BadRequest(`Malformed request body: ${(err as Error).message}`), undefined);
    }
  });

  app.decorateRequest('globalRequestId', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const incoming = request.headers['x-openstack-request-id'];
    if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) request.globalRequestId = incoming;
    reply.header('x-openstack-request-id', request.id);
    if (options.requestIdHeader !== undefined) reply.header(options.requestIdHeader, request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const fields = { requestId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (reply.statusCode >= 500) request.log.error(fields, 'request finished');
    else request.log.info(fields, 'request finished');
  });

  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const osErr = toOpenStackError(err);
    if (osErr.status >= 500) request.log.error({ err, requestId: request.id }, 'request failed');
    void reply.code(osErr.status).type('application/json').send(renderError(options.dialect, osErr));
  });

  // NOTE: keystone (Flask), glance and neutron (pecan) answer a path that exists under other methods with
  // 405 and Allow; nova and cinder (routes mappers) answer 404, and Tempest checks that (DELETE /images/
  // with a blank id). Fastify only knows 404: a second router holds every route's path to ask, on the
  // (rare) unmatched request.
  const answers405 = options.dialect !== 'compute' && options.dialect !== 'volume';
  const paths = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 1024 });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (isAllowMethod(method) && !paths.hasRoute(method, route.url)) paths.on(method, route.url, () => undefined);
    }
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = answers405 ? ALLOW_ORDER.filter((m) => m !== request.method && paths.find(m, path) !== null) : [];
    if (allowed.length > 0) {
      void reply.code(405).header('allow', allowed.join(', ')).type('application/json').send(renderError(options.dialect, new MethodNotAllowed()));
      return;
    }
    const osErr = new NotFound(`The resource could not be found.`, {}, 'NotFound');
    void reply.code(404).type('application/json').send(renderError(options.dialect, osErr));
  });

  return app;
}

/** The scheme://host[:port] a request came to, for links in response bodies. */
export function requestBaseUrl(request: FastifyRequest): string {
  const host = request.headers.host ?? `${request.hostname}`;
  return `${request.protocol}://${host}`;
}
