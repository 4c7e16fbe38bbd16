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

/**
 * Publishes a build's recorded steps while it runs: every `intervalMs` the steps not yet sent go out (to the
 * conductor, which stores them as events of the create action), so a trace can be watched live in any process.
 * `sent` is shared by every build of a host, so a rescheduled attempt does not send the same steps twice.
 */
export class LiveSteps {
  readonly #tracer: Tracer;
  readonly #traceId: string;
  readonly #sent: WeakSet<TraceEvent>;
  readonly #send: (events: readonly TraceEvent[]) => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(o: { tracer: Tracer; traceId: string; sent: WeakSet<TraceEvent>; send: (events: readonly TraceEvent[]) => Promise<void> }) {
    this.#tracer = o.tracer;
    this.#traceId = o.traceId;
    this.#sent = o.sent;
    this.#send = o.send;
  }

  /** Start publishing every `intervalMs`; a build shorter than that publishes nothing until `take`. */
  start(intervalMs = 100): void {
    this.#timer ??= setInterval(() => {
      this.#flushing = this.#flushing.then(async () => {
        const events = this.#unsent();
        if (events.length > 0) await this.#send(events).catch(() => undefined);
      });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stop publishing, wait for a publication in flight, and return (as sent) the steps still unsent. */
  async take(): Promise<TraceEvent[]> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    return this.#unsent();
  }

  #unsent(): TraceEvent[] {
    const events = this.#tracer.read(this.#traceId).filter((e) => !this.#sent.has(e));
    for (const e of events) this.#sent.add(e);
    return events;
  }
}
