/** Helpers to record FLOW.md steps under the request's trace id from an RPC context. */
import type { RpcContext } from '@strata/rpc';
import type { Trace, TraceEvent, Tracer } from '@strata/trace';

/** The trace id a message belongs to: its trace context, else the global request id. */
export function traceIdOf(ctx: RpcContext): string {
  return ctx.trace?.traceId ?? ctx.globalRequestId ?? ctx.requestId;
}

/** The trace of an RPC context. */
export function traceOf(tracer: Tracer, ctx: RpcContext): Trace {
  return tracer.begin(traceIdOf(ctx));
}

/** Record an instant step (a receipt, a confirmation). */
export function mark(trace: Trace, step: number, component: string, kind: TraceEvent['kind'], detail?: string, startedAt = Date.now()): void {
  trace.record({ step, component, kind, startedAt, durationMs: Math.max(0, Date.now() - startedAt), outcome: 'ok', ...(detail !== undefined ? { detail } : {}) });
}
