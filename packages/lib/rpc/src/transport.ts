/** The Transport plug point: how RPC messages reach a broker and come back (Kysely's dialect pattern). */
import type { Logger } from '@strata/log';
import type { RpcReply, RpcRequest } from './rpc-envelope.js';

/** Where a request goes: any server of the topic, one server, or every server (fanout). */
export interface TransportTarget {
  readonly topic: string;
  /** Only this host's server (`<topic>.<server>`). */
  readonly server?: string;
  /** Every running server of the topic; casts only. */
  readonly fanout?: boolean;
}

/** What a server consumes: `<topic>` (shared, load-balanced), `<topic>.<server>` and the topic's fanout. */
export interface ListenTarget {
  readonly topic: string;
  readonly server: string;
}

/** Sends the reply of a call. Rejects with MalformedRpcMessage, before sending, when the reply is not JSON. */
export type ReplySender = (reply: RpcReply) => Promise<void>;

/**
 * Handles one delivered request. `reply` is set for calls only. The transport acknowledges the
 * message after the returned promise settles, so a crash before that means redelivery
 * (at-least-once). A rejection is logged by the transport, never thrown at the process.
 */
export type RequestHandler = (request: RpcRequest, reply: ReplySender | undefined) => Promise<void>;

/** A running subscription made by `Transport.listen`. */
export interface TransportListener {
  /** Stop taking messages, then resolve once every handler already running has settled. */
  stop(): Promise<void>;
}

/** Options of one call. */
export interface TransportCallOptions {
  /** Aborting it rejects the call with `signal.reason` (the client's MessagingTimeout). */
  readonly signal: AbortSignal;
  /** How long the caller waits; a broker may drop the request once it is older. */
  readonly timeoutMs?: number;
}

/**
 * A message bus. Implementations serialize every message to JSON, deliver asynchronously and
 * never call a handler inside `cast`/`call`.
 */
export interface Transport {
  /** Where this transport points, without credentials (safe to log). */
  readonly description: string;
  /** Send a one-way request; resolves once the broker accepted it. Rejects with MessagingUnavailable. */
  cast(target: TransportTarget, request: RpcRequest): Promise<void>;
  /**
   * Send a request and resolve with its reply. The transport sets `replyTo`. Rejects with
   * `options.signal.reason` when aborted, MessagingUnavailable when it could not be sent, and
   * InvalidRpcTarget for a fanout target.
   */
  call(target: TransportTarget, request: RpcRequest, options: TransportCallOptions): Promise<RpcReply>;
  /** Consume `<topic>`, `<topic>.<server>` and the topic's fanout; resolves once consuming. */
  listen(target: ListenTarget, handler: RequestHandler): Promise<TransportListener>;
  /** Release the broker connection. Idempotent. */
  close(): Promise<void>;
}

/** Options of createTransport and of the transports themselves. */
export interface TransportOptions {
  /** Where connection events and dropped messages are logged. @default silentLogger() */
  readonly logger?: Logger;
  /** Name shown in the broker's management tools (AMQP `connection_name`), e.g. `compute:host1`. */
  readonly connectionName?: string;
  /** How long `createTransport` waits for the first broker connection. @default 10000 */
  readonly connectTimeoutMs?: number;
}
