/** The `rabbit://` transport: oslo.messaging's RabbitMQ topology over AMQP 0-9-1 with rabbitmq-client. */
import { randomUUID } from 'node:crypto';
import { Connection, ConsumerStatus, type AsyncMessage, type Consumer, type ConsumerProps, type Envelope, type Publisher } from 'rabbitmq-client';
import { silentLogger, type Logger } from '@strata/log';
import { parseAmqpUrl } from './amqp-url.js';
import { PendingCalls } from './pending-calls.js';
import { openRequestDelivery } from './request-delivery.js';
import { encodeRequest, type RpcReply, type RpcRequest } from './rpc-envelope.js';
import { InvalidRpcTarget, MessagingUnavailable, TransportClosed } from './rpc-errors.js';
import type { ListenTarget, RequestHandler, Transport, TransportCallOptions, TransportListener, TransportOptions, TransportTarget } from './transport.js';

/** Options of AmqpTransport.create. */
export interface AmqpTransportOptions extends TransportOptions {
  /** The durable topic exchange every topic queue is bound to (oslo's `control_exchange`). @default 'strata' */
  readonly exchange?: string;
  /** Messages a server takes at once from each of its queues: the QoS prefetch and the handler concurrency. @default 64 */
  readonly prefetchCount?: number;
}

// NOTE: a charset parameter keeps rabbitmq-client from parsing bodies itself (it only parses an exact
// `application/json`), so both transports decode through the same validating codec.
const CONTENT_TYPE = 'application/json; charset=utf-8';

function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (typeof body === 'string') return body;
  return JSON.stringify(body);
}

function fanoutExchange(topic: string): string {
  return `${topic}_fanout`;
}

function waitReady(consumer: Consumer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      consumer.off('ready', onReady);
      reject(new Error(`queue ${consumer.queue || '(pending)'} not consuming after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    consumer.once('ready', onReady);
  });
}

/**
 * RabbitMQ topology, as oslo.messaging's rabbit driver lays it out:
 * - a durable topic exchange (`strata`) with a durable queue `<topic>` shared by every server of
 *   the topic (load-balanced) and a durable queue `<topic>.<server>` for one host;
 * - a fanout exchange `<topic>_fanout` with an exclusive auto-delete queue per server;
 * - an exclusive auto-delete reply queue per transport for calls.
 *
 * Casts are persistent and resolve on the publisher confirm. Servers ack after the handler
 * finished (at-least-once: a lost connection redelivers unacked messages). The connection,
 * consumers and publisher re-establish themselves after a connection loss; calls wait for the
 * reply queue to be consuming again before they send.
 */
export class AmqpTransport implements Transport {
  readonly #conn: Connection;
  readonly #publisher: Publisher;
  readonly #logger: Logger;
  readonly #description: string;
  readonly #exchange: string;
  readonly #prefetchCount: number;
  readonly #connectTimeoutMs: number;
  readonly #replyQueue = `reply_${randomUUID()}`;
  readonly #pending: PendingCalls;
  readonly #consumers = new Set<Consumer>();
  #replyConsumer: Consumer | undefined;
  /** Settles when the reply consumer is consuming again; shared by every call waiting for it. */
  #replyReady: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** Connect to `url` (`rabbit://user:pass@host:port/vhost`); rejects with MessagingUnavailable when the broker is not reachable in time. */
  static async create(url: string, options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
    const transport = new AmqpTransport(url, options);
    try {
      await transport.#conn.onConnect(transport.#connectTimeoutMs, true);
    } catch (err) {
      await transport.close();
      throw new MessagingUnavailable(`Could not connect to the message broker at ${transport.#description}`, { cause: err });
    }
    return transport;
  }

  protected constructor(url: string, options: AmqpTransportOptions) {
    const parsed = parseAmqpUrl(url);
    this.#description = parsed.description;
    this.#exchange = options.exchange ?? 'strata';
    this.#prefetchCount = options.prefetchCount ?? 64;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'rpc-transport', transport: parsed.description });
    this.#pending = new PendingCalls(this.#logger);
    this.#conn = new Connection({
      hostname: parsed.hostname,
      port: parsed.port,
      username: parsed.username,
      password: parsed.password,
      vhost: parsed.vhost,
      ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    });
    let connected = false;
    this.#conn.on('connection', () => {
      if (connected) this.#logger.info({}, 'amqp reconnected');
      else this.#logger.debug({}, 'amqp connected');
      connected = true;
    });
    // NOTE: rabbitmq-client emits only the first error of a reconnect series, so this is not spammy.
    this.#conn.on('error', (err: unknown) => this.#logger.warn({ err }, 'amqp connection error'));
    this.#publisher = this.#conn.createPublisher({
      confirm: true,
      // A publish interrupted by a connection loss is retried on the re-established connection.
      maxAttempts: 3,
      exchanges: [{ exchange: this.#exchange, type: 'topic', durable: true }],
    });
    this.#publisher.on('retry', (err: unknown) => this.#logger.warn({ err }, 'amqp publish retried'));
  }

  /** {@inheritDoc Transport.description} */
  get description(): string {
    return this.#description;
  }

  /** {@inheritDoc Transport.cast} Persistent, and resolves on the broker's publisher confirm. */
  async cast(target: TransportTarget, request: RpcRequest): Promise<void> {
    const body = Buffer.from(encodeRequest(request));
    if (target.fanout === true) {
      const exchange = fanoutExchange(target.topic);
      await this.#send(body, { exchange, routingKey: '', messageId: request.msgId }, exchange);
      return;
    }
    await this.#send(body, { exchange: this.#exchange, routingKey: this.#routingKey(target), durable: true, messageId: request.msgId });
  }

  /** {@inheritDoc Transport.call} The request expires in the broker after `timeoutMs`. */
  async call(target: TransportTarget, request: RpcRequest, options: TransportCallOptions): Promise<RpcReply> {
    if (target.fanout === true) throw new InvalidRpcTarget('A fanout target can only be cast to');
    const { signal } = options;
    if (signal.aborted) throw signal.reason;
    if (this.#closing !== undefined) throw new TransportClosed();
    await this.#replyQueueReady(signal);
    const body = Buffer.from(encodeRequest({ ...request, replyTo: this.#replyQueue }));
    return this.#pending.wait(request.msgId, signal, () => {
      const envelope: Envelope = {
        exchange: this.#exchange,
        routingKey: this.#routingKey(target),
        replyTo: this.#replyQueue,
        correlationId: request.msgId,
        messageId: request.msgId,
        ...(options.timeoutMs === undefined ? {} : { expiration: String(options.timeoutMs) }),
      };
      this.#send(body, envelope).catch((err: unknown) => this.#pending.reject(request.msgId, err));
    });
  }

  /** {@inheritDoc Transport.listen} Resolves once all three queues are consuming. */
  async listen(target: ListenTarget, handler: RequestHandler): Promise<TransportListener> {
    if (this.#closing !== undefined) throw new TransportClosed();
    const topicExchange = { exchange: this.#exchange, type: 'topic', durable: true };
    const fanout = { exchange: fanoutExchange(target.topic), type: 'fanout', durable: false, autoDelete: true };
    const direct = `${target.topic}.${target.server}`;
    const fanoutQueue = `${target.topic}_fanout_${randomUUID()}`;
    const consumers = [
      this.#consume(
        { queue: target.topic, queueOptions: { durable: true }, exchanges: [topicExchange], queueBindings: [{ exchange: this.#exchange, queue: target.topic, routingKey: target.topic }] },
        handler,
      ),
      this.#consume(
        { queue: direct, queueOptions: { durable: true }, exchanges: [topicExchange], queueBindings: [{ exchange: this.#exchange, queue: direct, routingKey: direct }] },
        handler,
      ),
      this.#consume(
        {
          queue: fanoutQueue,
          queueOptions: { exclusive: true, autoDelete: true, durable: false },
          exchanges: [fanout],
          queueBindings: [{ exchange: fanout.exchange, queue: fanoutQueue, routingKey: '' }],
        },
        handler,
      ),
    ];
    const stop = async (): Promise<void> => {
      await Promise.allSettled(consumers.map((c) => c.close()));
      for (const c of consumers) this.#consumers.delete(c);
    };
    try {
      await Promise.all(consumers.map((c) => waitReady(c, this.#connectTimeoutMs)));
    } catch (err) {
      await stop();
      throw new MessagingUnavailable(`Could not consume topic ${target.topic} at ${this.#description}`, { cause: err });
    }
    this.#logger.debug({ topic: target.topic, server: target.server }, 'amqp consuming');
    return { stop };
  }

  /** Reject pending calls, stop consumers and the publisher, then close the connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#pending.rejectAll(() => new TransportClosed());
    // NOTE: while reconnecting, closing consumers would wait for a channel (up to acquireTimeout);
    // nothing can be acked on a lost connection anyway, so give it up first. Connection.close()
    // must then not be called again: a second call during the reconnect backoff never resolves.
    const connected = this.#conn.ready;
    if (!connected) await this.#conn.close();
    const consumers = [...this.#consumers, ...(this.#replyConsumer === undefined ? [] : [this.#replyConsumer])];
    await Promise.allSettled([...consumers.map((c) => c.close()), this.#publisher.close()]);
    if (connected) await this.#conn.close();
  }

  #routingKey(target: TransportTarget): string {
    return target.server === undefined ? target.topic : `${target.topic}.${target.server}`;
  }

  async #send(body: Buffer, envelope: Envelope, declareFanout?: string): Promise<void> {
    try {
      if (declareFanout !== undefined) {
        // NOTE: fanout exchanges auto-delete with their last server, as in oslo, so declare before each use.
        await this.#conn.exchangeDeclare({ exchange: declareFanout, type: 'fanout', durable: false, autoDelete: true });
      }
      await this.#publisher.send({ ...envelope, contentType: CONTENT_TYPE }, body);
    } catch (err) {
      throw new MessagingUnavailable(`Could not publish to the message broker at ${this.#description}`, { cause: err });
    }
  }

  #consume(props: ConsumerProps, handler: RequestHandler): Consumer {
    const consumer = this.#conn.createConsumer(
      { ...props, qos: { prefetchCount: this.#prefetchCount }, concurrency: this.#prefetchCount, requeue: true },
      (msg) => this.#deliver(msg, handler),
    );
    consumer.on('error', (err: unknown) => this.#logger.warn({ err, queue: props.queue }, 'amqp consumer error'));
    this.#consumers.add(consumer);
    return consumer;
  }

  async #deliver(msg: AsyncMessage, handler: RequestHandler): Promise<ConsumerStatus> {
    const delivery = openRequestDelivery(
      bodyText(msg.body),
      (replyTo, body, msgId) => this.#send(Buffer.from(body), { exchange: '', routingKey: replyTo, correlationId: msgId }),
      this.#logger,
      { queue: msg.routingKey },
    );
    if (delivery === undefined) return ConsumerStatus.DROP;
    const { request, reply } = delivery;
    // A rejection (the reply could not be sent) nacks with requeue: the message is delivered again.
    await handler(request, reply);
    return ConsumerStatus.ACK;
  }

  #replyQueueReady(signal: AbortSignal): Promise<void> {
    if (this.#replyConsumer === undefined) {
      const consumer = this.#conn.createConsumer(
        { queue: this.#replyQueue, queueOptions: { exclusive: true, autoDelete: true, durable: false }, noAck: true },
        (msg) => this.#pending.settle(bodyText(msg.body)),
      );
      consumer.on('error', (err: unknown) => this.#logger.warn({ err, queue: this.#replyQueue }, 'amqp reply consumer error'));
      this.#replyConsumer = consumer;
    }
    const consumer = this.#replyConsumer;
    // NOTE: rabbitmq-client clears consumerTag while it re-creates a consumer after a connection
    // loss; a reply sent before the queue is declared again would be dropped.
    if (consumer.consumerTag !== '') return Promise.resolve();
    this.#replyReady ??= new Promise<void>((resolve) => {
      consumer.once('ready', () => {
        this.#replyReady = undefined;
        resolve();
      });
    });
    const ready = this.#replyReady;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void ready.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}
