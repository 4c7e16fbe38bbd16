/** The `memory://` transport: RPC inside one process through a shared InProcessBroker, JSON-serialized like the wire. */
import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '@strata/log';
import { InProcessBroker } from './in-process-broker.js';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, type RpcReply, type RpcRequest } from './rpc-envelope.js';
import { InvalidRpcTarget, TransportClosed } from './rpc-errors.js';
import type {
  ListenTarget,
  ReplySender,
  RequestHandler,
  Transport,
  TransportCallOptions,
  TransportListener,
  TransportOptions,
  TransportTarget,
} from './transport.js';

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
  readonly #pending = new Map<string, (reply: RpcReply) => void>();
  readonly #unbindReplies: () => void;
  #closed = false;

  /** Join (or create) the broker of `url`, e.g. `memory://`. */
  constructor(url: string, options: TransportOptions = {}) {
    this.#url = url;
    this.#broker = InProcessBroker.acquire(url);
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'rpc-transport', transport: url });
    this.#unbindReplies = this.#broker.bindReplyAddress(this.#replyAddress, (body) => this.#onReply(body));
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
    return new Promise<RpcReply>((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(request.msgId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(request.msgId, (reply) => {
        signal.removeEventListener('abort', onAbort);
        this.#pending.delete(request.msgId);
        resolve(reply);
      });
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
    let request: RpcRequest;
    try {
      request = decodeRequest(body);
    } catch (err) {
      this.#logger.warn({ err }, 'malformed rpc message dropped');
      return;
    }
    const replyTo = request.replyTo;
    const reply: ReplySender | undefined =
      replyTo === undefined
        ? undefined
        : async (r) => {
            this.#broker.reply(replyTo, encodeReply(r));
          };
    try {
      await handler(request, reply);
    } catch (err) {
      this.#logger.error({ err, method: request.method, msgId: request.msgId }, 'rpc message handling failed');
    }
  }

  #onReply(body: string): void {
    let reply: RpcReply;
    try {
      reply = decodeReply(body);
    } catch (err) {
      this.#logger.warn({ err }, 'malformed rpc reply dropped');
      return;
    }
    const settle = this.#pending.get(reply.msgId);
    if (settle === undefined) {
      this.#logger.debug({ msgId: reply.msgId }, 'rpc reply for an unknown or expired call dropped');
      return;
    }
    settle(reply);
  }
}
