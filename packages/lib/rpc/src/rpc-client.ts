/** The client side of one RPC topic, shaped like oslo.messaging's RPCClient and nova's rpcapi clients. */
import { randomUUID } from 'node:crypto';
import { wireToError } from '@strata/errors';
import { silentLogger, type Logger } from '@strata/log';
import { pickRpcContext, type RpcContext } from './rpc-context.js';
import { ENVELOPE_VERSION, isErrorReply, type RpcRequest } from './rpc-envelope.js';
import { InvalidRpcTarget, MessagingTimeout, RpcVersionCapError } from './rpc-errors.js';
import { assertRpcName } from './rpc-names.js';
import { assertRpcVersion, versionIsCompatible } from './rpc-version.js';
import type { Transport } from './transport.js';

/** Options of an RpcClient. */
export interface RpcClientOptions {
  readonly topic: string;
  /** The API version messages target unless `prepare` says otherwise. @default '1.0' */
  readonly version?: string;
  /** How long a call waits for its reply. @default 60000 */
  readonly timeoutMs?: number;
  /** The highest version this client may send (`[upgrade_levels]`); no cap when unset. */
  readonly versionCap?: string;
  /** Where call timeouts are logged. @default silentLogger() */
  readonly logger?: Logger;
}

/** Per-message overrides of `RpcClient.prepare`. */
export interface PrepareOptions {
  /** Send to this host's server only (`<topic>.<server>`). */
  readonly server?: string;
  /** The API version this message targets. */
  readonly version?: string;
  /** How long a call waits for its reply. */
  readonly timeoutMs?: number;
  /** Send to every server of the topic; casts only. */
  readonly fanout?: boolean;
}

/** Options of one call or cast. */
export interface SendOptions {
  /** Aborting it rejects a pending call with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** A compiled, frozen destination: topic, server or fanout, version and timeout. */
export interface RpcTarget {
  readonly topic: string;
  readonly server: string | undefined;
  readonly fanout: boolean;
  readonly version: string;
  readonly timeoutMs: number;
}

interface CompiledClientOptions {
  readonly topic: string;
  readonly version: string;
  readonly timeoutMs: number;
  readonly versionCap: string | undefined;
  readonly logger: Logger;
}

function assertTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  return timeoutMs;
}

/**
 * One client per topic, as nova's `ComputeAPI` holds one:
 * ```ts
 * const client = new RpcClient(transport, { topic: 'compute', version: '1.0', versionCap });
 * await client.prepare({ server: host, version: '1.3' }).cast(ctx, 'buildAndRunInstance', args);
 * ```
 */
export class RpcClient {
  readonly #transport: Transport;
  readonly #options: CompiledClientOptions;

  /** Throws a TypeError for a malformed topic, version, cap or timeout. */
  constructor(transport: Transport, options: RpcClientOptions) {
    this.#transport = transport;
    this.#options = Object.freeze({
      topic: assertRpcName(options.topic, 'topic'),
      version: assertRpcVersion(options.version ?? '1.0', 'version'),
      timeoutMs: assertTimeout(options.timeoutMs ?? 60_000),
      versionCap: options.versionCap === undefined ? undefined : assertRpcVersion(options.versionCap, 'versionCap'),
      logger: (options.logger ?? silentLogger()).child({ component: 'rpc-client', topic: options.topic }),
    });
  }

  /** The topic this client sends to. */
  get topic(): string {
    return this.#options.topic;
  }

  /** The `[upgrade_levels]` cap, if any. */
  get versionCap(): string | undefined {
    return this.#options.versionCap;
  }

  /** True when a message of `version` may be sent under the version cap (always, without a cap). */
  canSendVersion(version: string): boolean {
    return this.#options.versionCap === undefined || versionIsCompatible(this.#options.versionCap, version);
  }

  /**
   * A client bound to a server, version, timeout or the fanout; the receiver is not changed.
   * Throws InvalidRpcTarget for fanout with a server, and a TypeError for a malformed server, version or timeout.
   */
  prepare(options: PrepareOptions = {}): PreparedRpcClient {
    if (options.fanout === true && options.server !== undefined) throw new InvalidRpcTarget('A fanout message cannot name a server');
    const target: RpcTarget = Object.freeze({
      topic: this.#options.topic,
      server: options.server === undefined ? undefined : assertRpcName(options.server, 'server'),
      fanout: options.fanout === true,
      version: options.version === undefined ? this.#options.version : assertRpcVersion(options.version, 'version'),
      timeoutMs: options.timeoutMs === undefined ? this.#options.timeoutMs : assertTimeout(options.timeoutMs),
    });
    return new PreparedRpcClient(this, this.#transport, target, this.#options.logger);
  }

  /** `prepare().call(...)`: any server of the topic, the default version. */
  call<T>(ctx: RpcContext, method: string, args: object, options: SendOptions = {}): Promise<T> {
    return this.prepare().call<T>(ctx, method, args, options);
  }

  /** `prepare().cast(...)`: any server of the topic, the default version. */
  cast(ctx: RpcContext, method: string, args: object): Promise<void> {
    return this.prepare().cast(ctx, method, args);
  }
}

/** A client bound by `RpcClient.prepare` to one target; immutable. */
export class PreparedRpcClient {
  readonly #client: RpcClient;
  readonly #transport: Transport;
  readonly #logger: Logger;
  /** Where and how this client sends. */
  readonly target: RpcTarget;

  /** @internal Use `RpcClient.prepare`. */
  constructor(client: RpcClient, transport: Transport, target: RpcTarget, logger: Logger) {
    this.#client = client;
    this.#transport = transport;
    this.target = target;
    this.#logger = logger;
  }

  /** See `RpcClient.canSendVersion`. */
  canSendVersion(version: string): boolean {
    return this.#client.canSendVersion(version);
  }

  /**
   * Send a request and resolve with the handler's result (`null` when it returned nothing).
   * Rejects with the handler's error rebuilt by `wireToError` (same status and code for 4xx and
   * allowed codes, RemoteError otherwise), MessagingTimeout when no reply arrives within
   * `timeoutMs`, RpcVersionCapError above the version cap, InvalidRpcTarget for a fanout call,
   * and MessagingUnavailable or TransportClosed from the transport.
   */
  async call<T>(ctx: RpcContext, method: string, args: object, options: SendOptions = {}): Promise<T> {
    const { topic, server, fanout, timeoutMs } = this.target;
    if (fanout) throw new InvalidRpcTarget(`A fanout message cannot be a call (method ${method} on topic ${topic})`);
    const request = this.#request(ctx, method, args);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new MessagingTimeout({ topic, server, method, timeoutMs })), timeoutMs);
    const forward = (): void => controller.abort(options.signal?.reason);
    if (options.signal?.aborted === true) forward();
    else options.signal?.addEventListener('abort', forward, { once: true });
    try {
      const reply = await this.#transport.call({ topic, server }, request, { signal: controller.signal, timeoutMs });
      if (isErrorReply(reply)) throw wireToError(reply.error);
      return reply.result as T;
    } catch (err) {
      if (err instanceof MessagingTimeout) {
        this.#logger.warn({ server, method, timeoutMs, msgId: request.msgId, requestId: ctx.requestId }, 'rpc call timed out');
      }
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', forward);
    }
  }

  /**
   * Send a one-way request (to every server of the topic when prepared with `fanout`); resolves
   * once the broker accepted it. The handler's outcome is not reported. Rejects with
   * RpcVersionCapError above the version cap, and MessagingUnavailable or TransportClosed.
   */
  async cast(ctx: RpcContext, method: string, args: object): Promise<void> {
    const { topic, server, fanout } = this.target;
    const request = this.#request(ctx, method, args);
    await this.#transport.cast({ topic, ...(server === undefined ? {} : { server }), fanout }, request);
  }

  #request(ctx: RpcContext, method: string, args: object): RpcRequest {
    const { topic, version } = this.target;
    if (!this.#client.canSendVersion(version)) throw new RpcVersionCapError(topic, version, this.#client.versionCap ?? '');
    return {
      v: ENVELOPE_VERSION,
      method,
      args,
      ctx: pickRpcContext(ctx),
      version,
      msgId: randomUUID(),
      sentAt: new Date().toISOString(),
    };
  }
}
