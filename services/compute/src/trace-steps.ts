/** Helpers to record FLOW.md steps under the request's trace id from an RPC context. */
import type { RpcContext } from '@strata/rpc';
import type { Trace, TraceEvent, Tracer } from '@strata/trace';
import type { InstanceActionEvent } from './objects/instance-action.js';

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

/**
 * A flow step as an instance-action event (`flow_step_NN_<component>`); `host` is set on the
 * steps nova-compute recorded (`server event show` names the host that did them).
 */
export function actionEventOf(e: TraceEvent, host: string | null): InstanceActionEvent {
  return {
    event: `flow_step_${String(e.step).padStart(2, '0')}_${e.component}`,
    startTime: new Date(e.startedAt).toISOString(),
    finishTime: new Date(e.startedAt + e.durationMs).toISOString(),
    result: e.outcome === 'ok' ? 'Success' : 'Error',
    traceback: e.outcome === 'error' ? (e.detail ?? null) : null,
    host: e.component.startsWith('nova-compute') ? host : null,
    details: e.detail ?? null,
  };
}

/** True for the events of flow steps (what `actionEventOf` makes). */
export function isFlowStepEvent(e: { readonly event: string }): boolean {
  return e.event.startsWith('flow_step_');
}

/**
 * Publishes a build's recorded steps while it runs: every `intervalMs` the steps of this process
 * not yet published go out (to the conductor, which stores them as events of the create action and
 * adds the steps its own process recorded), so a trace can be watched live, and is whole when the
 * compute host is a process of its own. The tracer hands each step out once, so a rescheduled
 * attempt, or a conductor sharing the tracer, does not store the same step twice.
 */
export class LiveSteps {
  readonly #tracer: Tracer;
  readonly #traceId: string;
  readonly #send: (events: readonly TraceEvent[]) => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(o: { tracer: Tracer; traceId: string; send: (events: readonly TraceEvent[]) => Promise<void> }) {
    this.#tracer = o.tracer;
    this.#traceId = o.traceId;
    this.#send = o.send;
  }

  /** Start publishing every `intervalMs`; a build shorter than that publishes nothing until `take`. */
  start(intervalMs = 100): void {
    this.#timer ??= setInterval(() => {
      this.#flushing = this.#flushing.then(async () => {
        const events = this.#tracer.takeUnpublished(this.#traceId);
        if (events.length > 0) await this.#send(events).catch(() => undefined);
      });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stop publishing, wait for a publication in flight, and return (as published) the steps still unpublished. */
  async take(): Promise<TraceEvent[]> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    return this.#tracer.takeUnpublished(this.#traceId);
  }
}
