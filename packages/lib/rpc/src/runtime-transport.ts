/** A wrapper around any Transport that owns its lifecycle: draining listeners, then closing exactly once. */
import type { RpcReply, RpcRequest } from './rpc-envelope.js';
import { TransportClosed } from './rpc-errors.js';
import type { ListenTarget, RequestHandler, Transport, TransportCallOptions, TransportListener, TransportTarget } from './transport.js';

/**
 * - `OPEN`: sends and listens.
 * - `DRAINING`: `close()` was called; listeners are stopping and their running handlers may
 *   still send. New listens are refused.
 * - `CLOSING`: handlers are done; new sends are refused, pending casts finish, pending calls are
 *   rejected with TransportClosed, then the inner transport closes.
 * - `CLOSED`: everything is released.
 */
export type TransportState = 'OPEN' | 'DRAINING' | 'CLOSING' | 'CLOSED';

/**
 * Makes sure a transport drains before it closes and closes only once; `createTransport` returns
 * one. Operations after close reject with TransportClosed.
 */
export class RuntimeTransport implements Transport {
  readonly #inner: Transport;
  #state: TransportState = 'OPEN';
  #closing: Promise<void> | undefined;
  readonly #listeners = new Set<TransportListener>();
  readonly #calls = new Set<AbortController>();
  readonly #casts = new Set<Promise<void>>();

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  /** {@inheritDoc Transport.description} */
  get description(): string {
    return this.#inner.description;
  }

  /** Where the lifecycle is; see TransportState. */
  get state(): TransportState {
    return this.#state;
  }

  /** {@inheritDoc Transport.cast} */
  async cast(target: TransportTarget, request: RpcRequest): Promise<void> {
    this.#assertCanSend();
    const sent = this.#inner.cast(target, request);
    this.#casts.add(sent);
    try {
      await sent;
    } finally {
      this.#casts.delete(sent);
    }
  }

  /** {@inheritDoc Transport.call} Also rejects with TransportClosed when the transport closes first. */
  async call(target: TransportTarget, request: RpcRequest, options: TransportCallOptions): Promise<RpcReply> {
    this.#assertCanSend();
    const controller = new AbortController();
    const forward = (): void => controller.abort(options.signal.reason);
    if (options.signal.aborted) forward();
    else options.signal.addEventListener('abort', forward, { once: true });
    this.#calls.add(controller);
    try {
      return await this.#inner.call(target, request, { ...options, signal: controller.signal });
    } finally {
      this.#calls.delete(controller);
      options.signal.removeEventListener('abort', forward);
    }
  }

  /** {@inheritDoc Transport.listen} The listener's `stop()` is idempotent. */
  async listen(target: ListenTarget, handler: RequestHandler): Promise<TransportListener> {
    if (this.#state !== 'OPEN') throw new TransportClosed();
    const inner = await this.#inner.listen(target, handler);
    let stopping: Promise<void> | undefined;
    const listener: TransportListener = {
      stop: () => {
        stopping ??= inner.stop().finally(() => this.#listeners.delete(listener));
        return stopping;
      },
    };
    this.#listeners.add(listener);
    // NOTE: close() may have started while the inner listen was connecting; it did not see this listener.
    if (this.#state !== 'OPEN') {
      await listener.stop();
      throw new TransportClosed();
    }
    return listener;
  }

  /** Stop every listener (waiting for their handlers), reject pending calls, close the inner transport. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'DRAINING';
    await Promise.allSettled([...this.#listeners].map((l) => l.stop()));
    this.#state = 'CLOSING';
    await Promise.allSettled([...this.#casts]);
    for (const call of this.#calls) call.abort(new TransportClosed());
    try {
      await this.#inner.close();
    } finally {
      this.#state = 'CLOSED';
    }
  }

  #assertCanSend(): void {
    if (this.#state === 'CLOSING' || this.#state === 'CLOSED') throw new TransportClosed();
  }
}
