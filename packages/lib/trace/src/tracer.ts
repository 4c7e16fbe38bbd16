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
    return byStep(this.#traces.get(traceId) ?? []);
  }
}

/** A copy of `events` ordered by step, then start time. */
function byStep(events: readonly TraceEvent[]): TraceEvent[] {
  return [...events].sort((a, b) => a.step - b.step || a.startedAt - b.startedAt);
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

/**
 * Hands out Trace objects over one sink, and remembers, per trace id, the events recorded through
 * them that `takeUnpublished` has not yet handed out (of the most recent `maxPendingTraces` traces).
 */
export class Tracer {
  readonly #sink: TraceSink;
  /** Writes to the sink and queues the event as unpublished; the sink every Trace of this tracer writes to. */
  readonly #recording: TraceSink;
  readonly #unpublished = new Map<string, TraceEvent[]>();
  readonly #maxPending: number;
  constructor(sink: TraceSink = new MemoryTraceSink(), maxPendingTraces = 5000) {
    this.#sink = sink;
    this.#maxPending = maxPendingTraces;
    this.#recording = {
      write: (traceId, event) => {
        sink.write(traceId, event);
        this.#queue(traceId, event);
      },
      read: (traceId) => sink.read(traceId),
    };
  }
  /** The trace with this id (events append to any already recorded). */
  begin(traceId: string): Trace {
    return new Trace(traceId, this.#recording);
  }
  /** Events recorded under a trace id, by step. */
  read(traceId: string): readonly TraceEvent[] {
    return this.#sink.read(traceId);
  }
  /**
   * The events recorded under a trace id through this tracer and not handed out by an earlier call,
   * by step, now marked as handed out: whoever publishes steps beyond this process (nova-compute and
   * nova-conductor store them in the database) publishes each event once, however many of them share
   * the tracer. What the sink returns on `read` plays no part, so a sink may hand back copies.
   */
  takeUnpublished(traceId: string): TraceEvent[] {
    const events = this.#unpublished.get(traceId) ?? [];
    this.#unpublished.delete(traceId);
    return byStep(events);
  }

  #queue(traceId: string, event: TraceEvent): void {
    const queued = this.#unpublished.get(traceId);
    if (queued !== undefined) {
      // Move it to the newest end, so a trace still recording is the last to be dropped.
      queued.push(event);
      this.#unpublished.delete(traceId);
      this.#unpublished.set(traceId, queued);
      return;
    }
    if (this.#unpublished.size >= this.#maxPending) {
      const oldest = this.#unpublished.keys().next().value;
      if (oldest !== undefined) this.#unpublished.delete(oldest);
    }
    this.#unpublished.set(traceId, [event]);
  }
}
