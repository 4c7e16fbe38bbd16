/** The in-process message broker behind `memory://`: one per URL, shared by every transport of the process that names it. */
import type { ListenTarget, TransportTarget } from './transport.js';

/** Takes one message body; returns false when it no longer accepts messages, so the broker re-routes it. */
export type BrokerConsumer = (body: string) => boolean;

interface Message {
  readonly body: string;
  /** `Date.now()` after which nobody wants it any more (a call whose caller gave up). */
  readonly expiresAt: number;
}

interface Queue {
  readonly consumers: BrokerConsumer[];
  /** Round-robin position among consumers. */
  next: number;
  /** Messages waiting for a consumer, like a durable queue with no server attached. */
  readonly backlog: Message[];
}

const brokers = new Map<string, { broker: InProcessBroker; users: number }>();

/**
 * Routes message bodies (already JSON) the way the AMQP transport's broker does: named queues
 * `<topic>` and `<topic>.<server>` that outlive their consumers and round-robin between them, a
 * fanout per topic to every current consumer, and reply addresses. Every delivery runs on a later
 * turn of the event loop, never inside `publish`.
 */
export class InProcessBroker {
  readonly #queues = new Map<string, Queue>();
  readonly #fanouts = new Map<string, Set<BrokerConsumer>>();
  readonly #replies = new Map<string, (body: string) => void>();

  /** The broker for `url`, created on first use; pair every acquire with one `release`. */
  static acquire(url: string): InProcessBroker {
    let entry = brokers.get(url);
    if (entry === undefined) {
      entry = { broker: new InProcessBroker(), users: 0 };
      brokers.set(url, entry);
    }
    entry.users += 1;
    return entry.broker;
  }

  /** Give back a broker got from `acquire(url)`; the last release drops it and its queued messages. */
  static release(url: string): void {
    const entry = brokers.get(url);
    if (entry === undefined) return;
    entry.users -= 1;
    if (entry.users <= 0) brokers.delete(url);
  }

  /**
   * Route one request. A message that waits for a consumer longer than `ttlMs` is dropped, as
   * RabbitMQ expires it. Returns false when no queue is bound to the target, so it is dropped now.
   */
  publish(target: TransportTarget, body: string, ttlMs = Number.POSITIVE_INFINITY): boolean {
    if (target.fanout === true) {
      const consumers = [...(this.#fanouts.get(target.topic) ?? [])];
      for (const consumer of consumers) setImmediate(() => consumer(body));
      return consumers.length > 0;
    }
    const queue = this.#queues.get(target.server === undefined ? target.topic : `${target.topic}.${target.server}`);
    if (queue === undefined) return false;
    this.#dispatch(queue, { body, expiresAt: Date.now() + ttlMs });
    return true;
  }

  /** Attach a consumer to `<topic>`, `<topic>.<server>` and the topic's fanout; returns the detach function. */
  subscribe(target: ListenTarget, consumer: BrokerConsumer): () => void {
    const queues = [this.#queue(target.topic), this.#queue(`${target.topic}.${target.server}`)];
    let fanout = this.#fanouts.get(target.topic);
    if (fanout === undefined) {
      fanout = new Set();
      this.#fanouts.set(target.topic, fanout);
    }
    fanout.add(consumer);
    for (const queue of queues) {
      queue.consumers.push(consumer);
      for (const message of queue.backlog.splice(0)) {
        if (message.expiresAt >= Date.now()) this.#dispatch(queue, message);
      }
    }
    return () => {
      for (const queue of queues) {
        const at = queue.consumers.indexOf(consumer);
        if (at >= 0) queue.consumers.splice(at, 1);
      }
      fanout.delete(consumer);
      if (fanout.size === 0) this.#fanouts.delete(target.topic);
    };
  }

  /** Deliver replies sent to `address` to `deliver`; returns the detach function. */
  bindReplyAddress(address: string, deliver: (body: string) => void): () => void {
    this.#replies.set(address, deliver);
    return () => this.#replies.delete(address);
  }

  /** Send a reply to `address`; dropped when nobody is bound there any more (the caller went away). */
  reply(address: string, body: string): void {
    setImmediate(() => this.#replies.get(address)?.(body));
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = { consumers: [], next: 0, backlog: [] };
      this.#queues.set(name, queue);
    }
    return queue;
  }

  #dispatch(queue: Queue, message: Message): void {
    if (queue.consumers.length === 0) {
      queue.backlog.push(message);
      return;
    }
    const consumer = queue.consumers[queue.next % queue.consumers.length] as BrokerConsumer;
    queue.next = (queue.next + 1) % queue.consumers.length;
    setImmediate(() => {
      if (!consumer(message.body)) this.#dispatch(queue, message);
    });
  }
}
