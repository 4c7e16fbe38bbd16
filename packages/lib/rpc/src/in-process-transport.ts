/** The `memory://` transport: RPC inside one process through a shared InProcessBroker, JSON-serialized like the wire. */
import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '@strata/log';
import { InProcessBroker } from './in-process-broker.js';
import { PendingCalls } from './pending-calls.js';
import { openRequestDelivery } from './request-delivery.js';
import { encodeRequest, type RpcReply, type RpcRequest } from './rpc-envelope.js';
import { InvalidRpcTarget, TransportClosed } from './rpc-errors.js';
import type { ListenTarget, RequestHandler, Transport, TransportCallOptions, TransportListener, TransportOptions, TransportTarget } from './transport.js';

/**
 * Every `InProcessTransport` built with the same URL reaches the same broker, so services started
 * in one process talk to each other as they would over RabbitMQ. Messages are JSON strings on
 * the way, so nothing that would not survive the wire reaches a handler.
 */
export class InProcessTransport implements Transport {
  readonly #url: string;
  readonly #broker: InProcessBroker;
  readonly #logger: Logger;
  readonly #replyAddress = `reply_${randomUUID()}`;
  readonly #pending: PendingCalls;
  readonly #unbindReplies: () => void;
  #closed = false;

  /** Join (or create) the broker of `url`, e.g. `memory://`. */
  constructor(url: string, options: TransportOptions = {}) {
    this.#url = url;
    this.#broker = InProcessBroker.acquire(url);
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'rpc-transport', transport: url });
    this.#pending = new PendingCalls(this.#logger);
    this.#unbindReplies = this.#broker.bindReplyAddress(this.#replyAddress, (body) => this.#pending.settle(body));
  }

  /** {@inheritDoc Transport.description} */
  get description(): string {
    return this.#url;
  }

  /** {@inheritDoc Transport.cast} */
  async cast(target: TransportTarget, request: RpcRequest): Promise<void> {
    if (this.#closed) throw new TransportClosed();
    const routed = this.#broker.publish(target, encodeRequest(request));
    if (!routed) this.#logger.debug({ topic: target.topic, server: target.server, method: request.method }, 'rpc message unroutable, dropped');
  }

  /** {@inheritDoc Transport.call} The request expires unserved after `timeoutMs`, as in RabbitMQ. */
  async call(target: TransportTarget, request: RpcRequest, options: TransportCallOptions): Promise<RpcReply> {
    if (target.fanout === true) throw new InvalidRpcTarget('A fanout target can only be cast to');
    if (this.#closed) throw new TransportClosed();
    const { signal } = options;
    if (signal.aborted) throw signal.reason;
    const body = encodeRequest({ ...request, replyTo: this.#replyAddress });
    return this.#pending.wait(request.msgId, signal, () => {
      this.#broker.publish(target, body, options.timeoutMs);
    });
  }

  /** {@inheritDoc Transport.listen} */
  async listen(target: ListenTarget, handler: RequestHandler): Promise<TransportListener> {
    if (this.#closed) throw new TransportClosed();
    const running = new Set<Promise<void>>();
    let active = true;
    const detach = this.#broker.subscribe(target, (body) => {
      if (!active) return false;
      const run = this.#deliver(body, handler);
      running.add(run);
      void run.finally(() => running.delete(run));
      return true;
    });
    return {
      stop: async () => {
        active = false;
        detach();
        await Promise.allSettled([...running]);
      },
    };
  }

  /** Leave the broker; pending calls are rejected by the RuntimeTransport around this one. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unbindReplies();
    InProcessBroker.release(this.#url);
  }

  async #deliver(body: string, handler: RequestHandler): Promise<void> {
    const delivery = openRequestDelivery(body, (replyTo, replyBody) => this.#broker.reply(replyTo, replyBody), this.#logger);
    if (delivery === undefined) return;
    const { request, reply } = delivery;
    try {
      await handler(request, reply);
    } catch (err) {
      this.#logger.error({ err, method: request.method, msgId: request.msgId }, 'rpc message handling failed');
    }
  }
}
