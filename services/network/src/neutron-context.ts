/** NeutronContext: who is calling (or the service itself), the policy check, and the trace a request's FLOW steps go to. */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@strata/auth';
import type { Trace } from '@strata/trace';
import { policyNotAuthorized } from './errors.js';
import { neutronPolicy, type NeutronTarget } from './policy.js';

/** The caller of an API or plugin operation. */
export interface NeutronContext {
  readonly requestId: string;
  /** Set when the request came with a global request id (another service's); steps are traced only then. */
  readonly globalRequestId: string | undefined;
  readonly userId: string;
  /** The scoped project ('' for an unscoped or internal caller). */
  readonly projectId: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  /** The caller's token, when there is a caller. */
  readonly authToken: string | undefined;
  /** Where this request's FLOW.md steps are recorded, if anywhere. */
  readonly trace: Trace | undefined;
  /** True when the rule allows the caller on the target. */
  can(rule: string, target?: NeutronTarget): boolean;
  /** 403 PolicyNotAuthorized unless the rule allows it. */
  authorize(rule: string, target?: NeutronTarget): void;
}

/** The visibility filter of an object load for `ctx`: none for an admin, else what the caller's project may see. */
export function visibilityOf(ctx: NeutronContext): { visibleTo?: string } {
  return ctx.isAdmin ? {} : { visibleTo: ctx.projectId };
}

/** The context of an authenticated API request. */
export function contextFromRequest(rc: RequestContext, globalRequestId: string | undefined, trace: Trace | undefined): NeutronContext {
  return {
    requestId: rc.requestId,
    globalRequestId,
    userId: rc.userId,
    projectId: rc.projectId ?? '',
    roles: rc.roles,
    isAdmin: rc.isAdmin,
    authToken: rc.authToken,
    trace,
    can: (rule, target = {}) => rc.can(rule, target),
    authorize: (rule, target = {}) => rc.authorize(rule, target),
  };
}

/** The service's own context (agents over RPC, bootstrap, cleanups): admin, no project. */
export function adminContext(requestId = `req-${randomUUID()}`, trace?: Trace): NeutronContext {
  return {
    requestId,
    globalRequestId: undefined,
    userId: 'neutron',
    projectId: '',
    roles: ['admin'],
    isAdmin: true,
    authToken: undefined,
    trace,
    can: () => true,
    authorize: () => undefined,
  };
}

/** A context for tests and tools that checks the neutron policy table by role. */
export function roleContext(projectId: string, roles: readonly string[], userId = 'user'): NeutronContext {
  const isAdmin = roles.includes('admin');
  const self: NeutronContext = {
    requestId: `req-${randomUUID()}`,
    globalRequestId: undefined,
    userId,
    projectId,
    roles,
    isAdmin,
    authToken: undefined,
    trace: undefined,
    can: (rule, target = {}) => {
      const check = neutronPolicy[rule];
      if (check === undefined) throw new Error(`PROGRAMMING ERROR: no policy rule named ${rule}`);
      return check({ isAdmin, projectId, roles, userId } as never, target);
    },
    authorize: (rule, target = {}) => {
      if (!self.can(rule, target)) throw policyNotAuthorized(rule);
    },
  };
  return self;
}
