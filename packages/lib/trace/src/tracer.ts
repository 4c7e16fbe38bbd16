/** Records the FLOW.md steps a request passes through, as events under its trace id (the global request id). */
import { FLOW_STEPS } from './flow-steps.js';

/** One recorded step. */
export interface TraceEvent {
  /** FLOW.md step number, 1–51. */
  readonly step: number;
  /** Process that recorded it: keystone, nova-api, nova-compute, ... */
  readonly component: string;
  readonly kind: 'http' | 'rpc' | 'db';
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: 'ok' | 'error';
  readonly detail?: string;
}

/** Where events go. */
export interface TraceSink {
  write(traceId: string, event: TraceEvent): void;
  read(traceId: string): readonly TraceEvent[];
}

/** Keeps the events of the most recent `maxTraces` traces in memory. */
export class MemoryTraceSink implements TraceSink {
  readonly #traces = new Map<string, TraceEvent[]>();
  readonly #max: number;
  constructor(maxTraces = 5000) {
    this.#max = maxTraces;
  }
  write(traceId: string, event: TraceEvent): void {
    let events = this.#traces.get(traceId);
    if (events === undefined) {
      if (this.#traces.size >= this.#max) {
        const oldest = this.#traces.keys().next().value;
        if (oldest !== undefined) this.#traces.delete(oldest);
      }
      events = [];
      this.#traces.set(traceId, events);
    }
    events.push(event);
  }
  read(traceId: string): readonly TraceEvent[] {
    return [...(this.#traces.get(traceId) ?? [])].sort((a, b) => a.step - b.step || a.startedAt - b.startedAt);
  }
}

/** The events of one trace. */
export class Trace {
  readonly id: string;
  readonly #sink: TraceSink;
  constructor(id: string, sink: TraceSink) {
    this.id = id;
    this.#sink = sink;
  }

  /** Record a finished step. Throws on a step number outside FLOW.md. */
  record(event: TraceEvent): void {
    if (!Number.isInteger(event.step) || event.step < 1 || event.step > FLOW_STEPS.length) throw new RangeError(`no such flow step: ${event.step}`);
    this.#sink.write(this.id, event);
  }

  /** Run `fn` as step `step` and record its duration and outcome; rethrows its error. */
  async step<T>(step: number, component: string, kind: TraceEvent['kind'], fn: () => Promise<T>, detail?: string): Promise<T> {
    const startedAt = Date.now();
    try {
      const result = await fn();
      this.record({ step, component, kind, startedAt, durationMs: Date.now() - startedAt, outcome: 'ok', ...(detail !== undefined ? { detail } : {}) });
      return result;
    } catch (err) {
      this.record({ step, component, kind, startedAt, durationMs: Date.now() - startedAt, outcome: 'error', detail: (err as Error).message });
      throw err;
    }
  }
}

/** Hands out Trace objects over one sink. */
export class Tracer {
  readonly #sink: TraceSink;
  readonly #published = new WeakSet<TraceEvent>();
  constructor(sink: TraceSink = new MemoryTraceSink()) {
    this.#sink = sink;
  }
  /** The trace with this id (events append to any already recorded). */
  begin(traceId: string): Trace {
    return new Trace(traceId, this.#sink);
  }
  /** Events recorded under a trace id, by step. */
  read(traceId: string): readonly TraceEvent[] {
    return this.#sink.read(traceId);
  }
  /**
   * The events of a trace not handed out by an earlier call, now marked as handed out: whoever
   * publishes steps beyond this process (nova-compute and nova-conductor store them in the
   * database) publishes each event once, however many of them share the tracer.
   */
  takeUnpublished(traceId: string): TraceEvent[] {
    const events = this.#sink.read(traceId).filter((e) => !this.#published.has(e));
    for (const e of events) this.#published.add(e);
    return events;
  }
}
