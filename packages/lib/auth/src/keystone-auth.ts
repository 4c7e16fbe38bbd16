/** The Fastify plugin every non-identity service uses: X-Auth-Token → RequestContext, 401 otherwise. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Unauthorized } from '@strata/errors';
import type { Trace, Tracer } from '@strata/trace';
import type { TokenBody } from '@strata/clients';
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
  /**
   * Record the validation as these FLOW.md steps (e.g. nova: 4 and 5); with `authSteps`, also steps 1–2 (the user
   * authenticating with keystone for the token this request carries) from the timing keystone reports.
   */
  readonly trace?: { readonly tracer: Tracer; readonly component: string; readonly askStep: number; readonly answerStep?: number; readonly authSteps?: boolean };
  /** Test builds: fail any successful authenticated request whose handler ran no policy check. */
  readonly requireEnforcement?: boolean;
}

/** The authenticated context of a request; 401 if the route is public (a programming error to ask). */
export function contextOf(request: FastifyRequest): RequestContext {
  if (request.context === null) throw new Unauthorized();
  return request.context;
}

/** The authentication timing keystone reported for a token, when it did and it is well formed. */
function authenticationOf(body: TokenBody): { startedAt: number; durationMs: number } | undefined {
  const a = body['strata:authentication'];
  if (a === undefined || a === null || typeof a !== 'object') return undefined;
  const startedAt = Date.parse(a.started_at);
  if (Number.isNaN(startedAt) || typeof a.duration_ms !== 'number' || !Number.isFinite(a.duration_ms) || a.duration_ms < 0) return undefined;
  return { startedAt, durationMs: a.duration_ms };
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
    const authentication = authenticationOf(body);
    if (trace !== undefined && opts.trace?.authSteps === true && authentication !== undefined) {
      trace.record({ step: 1, component: 'client', kind: 'http', startedAt: authentication.startedAt, durationMs: 0, outcome: 'ok', detail: 'credentials sent to keystone' });
      trace.record({ step: 2, component: 'keystone', kind: 'db', startedAt: authentication.startedAt, durationMs: authentication.durationMs, outcome: 'ok', detail: `token issued at ${body.issued_at}` });
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
      authentication,
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
