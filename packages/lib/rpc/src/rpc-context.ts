/** The request context every RPC message carries: the wire form of a service's RequestContext. */

/** Flow-trace position of the request, so the receiver's steps join the caller's trace. */
export interface RpcTraceContext {
  readonly traceId: string;
  /** The caller's step this message descends from. */
  readonly parentStep?: number;
}

/**
 * Who asked, and under which request. Plain JSON; travels in every envelope. Only these fields
 * cross the wire: anything else on the object (tokens, loggers) is left behind by the client.
 */
export interface RpcContext {
  /** `req-<uuid>` of the request being served. */
  readonly requestId: string;
  /** The request id of the first service in the chain (`X-OpenStack-Request-Id` passed on). */
  readonly globalRequestId?: string;
  readonly userId?: string;
  readonly projectId?: string;
  readonly roles: readonly string[];
  readonly trace?: RpcTraceContext;
}

/** Copy only the RpcContext fields of `ctx`, so nothing else reaches the wire. */
export function pickRpcContext(ctx: RpcContext): RpcContext {
  return {
    requestId: ctx.requestId,
    ...(ctx.globalRequestId === undefined ? {} : { globalRequestId: ctx.globalRequestId }),
    ...(ctx.userId === undefined ? {} : { userId: ctx.userId }),
    ...(ctx.projectId === undefined ? {} : { projectId: ctx.projectId }),
    roles: [...ctx.roles],
    ...(ctx.trace === undefined
      ? {}
      : { trace: { traceId: ctx.trace.traceId, ...(ctx.trace.parentStep === undefined ? {} : { parentStep: ctx.trace.parentStep }) } }),
  };
}

/** Check a decoded value is an RpcContext; returns the reason it is not, or undefined when it is. */
export function rpcContextProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'ctx is not an object';
  const c = value as Record<string, unknown>;
  if (typeof c.requestId !== 'string') return 'ctx.requestId is not a string';
  for (const key of ['globalRequestId', 'userId', 'projectId'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'string') return `ctx.${key} is not a string`;
  }
  if (!Array.isArray(c.roles) || !c.roles.every((r) => typeof r === 'string')) return 'ctx.roles is not a list of strings';
  if (c.trace !== undefined) {
    const t = c.trace as Record<string, unknown> | null;
    if (typeof t !== 'object' || t === null || typeof t.traceId !== 'string') return 'ctx.trace.traceId is not a string';
    if (t.parentStep !== undefined && typeof t.parentStep !== 'number') return 'ctx.trace.parentStep is not a number';
  }
  return undefined;
}
