/** The Fastify plugin every non-identity service uses: X-Auth-Token → RequestContext, 401 otherwise. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Unauthorized } from '@strata/errors';
import type { Trace, Tracer } from '@strata/trace';
import { RequestContext } from './request-context.js';
import type { Policy } from './policy.js';
import type { TokenValidator } from './token-validator.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the keystone auth plugin on every authenticated route; null on public routes. */
    context: RequestContext | null;
  }
}

/** Options of the plugin. */
export interface KeystoneAuthOptions {
  readonly validator: TokenValidator;
  readonly policy: Policy;
  /** Paths that need no token (version discovery). */
  readonly isPublic?: (request: FastifyRequest) => boolean;
  /** Keystone's URL, for the WWW-Authenticate header of 401s. */
  readonly authUrl: string;
  /** Record the validation as these FLOW.md steps (e.g. nova: 4 and 5). */
  readonly trace?: { readonly tracer: Tracer; readonly component: string; readonly askStep: number; readonly answerStep?: number };
  /** Test builds: fail any successful authenticated request whose handler ran no policy check. */
  readonly requireEnforcement?: boolean;
}

/** The authenticated context of a request; 401 if the route is public (a programming error to ask). */
export function contextOf(request: FastifyRequest): RequestContext {
  if (request.context === null) throw new Unauthorized();
  return request.context;
}

/** Install token validation on every route of `app` (call before adding routes). */
export function registerKeystoneAuth(app: FastifyInstance, opts: KeystoneAuthOptions): void {
  app.decorateRequest('context', null);
  app.addHook('onRequest', async (request, reply) => {
    if (opts.isPublic?.(request) === true) return;
    const token = request.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') {
      reply.header('www-authenticate', `Keystone uri="${opts.authUrl}"`);
      throw new Unauthorized();
    }
    let trace: Trace | undefined;
    const started = Date.now();
    if (opts.trace !== undefined) trace = opts.trace.tracer.begin(request.globalRequestId ?? request.id);
    let body;
    try {
      body = await opts.validator.validate(token, request.globalRequestId ?? request.id);
    } catch (err) {
      reply.header('www-authenticate', `Keystone uri="${opts.authUrl}"`);
      if (trace !== undefined && opts.trace !== undefined) trace.record({ step: opts.trace.askStep, component: opts.trace.component, kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: 'error', detail: (err as Error).message });
      throw err;
    }
    if (trace !== undefined && opts.trace !== undefined) {
      const durationMs = Date.now() - started;
      trace.record({ step: opts.trace.askStep, component: opts.trace.component, kind: 'http', startedAt: started, durationMs, outcome: 'ok', detail: 'token validation requested' });
      if (opts.trace.answerStep !== undefined) trace.record({ step: opts.trace.answerStep, component: 'keystone', kind: 'http', startedAt: started, durationMs, outcome: 'ok', detail: 'token valid' });
    }
    request.context = new RequestContext({
      requestId: request.id,
      globalRequestId: request.globalRequestId ?? request.id,
      userId: body.user.id,
      userName: body.user.name,
      userDomainId: body.user.domain.id,
      projectId: body.project?.id,
      projectName: body.project?.name,
      domainId: body.domain?.id,
      system: body.system?.all === true,
      roles: (body.roles ?? []).map((r) => r.name),
      authToken: token,
      expiresAt: body.expires_at,
      policy: opts.policy,
    });
  });
  if (opts.requireEnforcement === true) {
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.context !== null && reply.statusCode < 400 && !request.context.authorized) {
        throw new Error(`PROGRAMMING ERROR: ${request.method} ${request.routeOptions.url ?? request.url} ran no policy check; API is unenforced.`);
      }
      return payload;
    });
  }
}
