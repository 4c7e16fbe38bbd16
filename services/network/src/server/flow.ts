/** Recording FLOW.md steps 28–38 (network) for requests that carry a global request id. */
import type { RpcContext } from '@strata/rpc';
import type { Trace, TraceEvent, Tracer } from '@strata/trace';

/** Components as FLOW.md names them. */
export const SERVER = 'neutron-server';
export const PLUGIN = 'neutron-plugin';
export const AGENT = 'neutron-agent';

/** The trace of a request, only when another service passed its global request id. */
export function traceFor(tracer: Tracer, globalRequestId: string | undefined): Trace | undefined {
  return globalRequestId === undefined ? undefined : tracer.begin(globalRequestId);
}

/** The trace of an RPC message, when the sender attached one. */
export function traceOfRpc(tracer: Tracer | undefined, ctx: RpcContext): Trace | undefined {
  return tracer === undefined || ctx.trace === undefined ? undefined : tracer.begin(ctx.trace.traceId);
}

/** Record a finished step (no-op without a trace). */
export function mark(trace: Trace | undefined, step: number, component: string, kind: TraceEvent['kind'], detail: string, startedAt = Date.now(), outcome: TraceEvent['outcome'] = 'ok'): void {
  trace?.record({ step, component, kind, startedAt, durationMs: Date.now() - startedAt, outcome, detail });
}

/** Run `fn` as a step when there is a trace, else just run it. */
export function timed<T>(trace: Trace | undefined, step: number, component: string, kind: TraceEvent['kind'], fn: () => Promise<T>, detail?: string): Promise<T> {
  return trace === undefined ? fn() : trace.step(step, component, kind, fn, detail);
}
