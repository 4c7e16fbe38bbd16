/** The server side of one RPC topic on one host: dispatches requests to an endpoint object's methods. */
import { errorToWire, type WireError } from '@strata/errors';
import { silentLogger, type Logger } from '@strata/log';
import type { RpcContext } from './rpc-context.js';
import type { RpcReply, RpcRequest } from './rpc-envelope.js';
import { UnsupportedRpcMethod, UnsupportedRpcVersion } from './rpc-errors.js';
import { assertRpcName } from './rpc-names.js';
import { assertRpcVersion, versionIsCompatible } from './rpc-version.js';
import type { ReplySender, Transport, TransportListener } from './transport.js';

/** An RPC method as an endpoint implements it: context and JSON arguments in, a JSON result out. */
export type RpcMethod = (ctx: RpcContext, args: never) => Promise<unknown>;

/** Options of an RpcServer. */
export interface RpcServerOptions {
  readonly topic: string;
  /** This host's name; the server also takes `<topic>.<server>`. */
  readonly server: string;
  /**
   * The object whose public methods are the RPC methods, each `(ctx, args) => Promise<unknown>`:
   * its own methods and its class's, never Object's (`constructor`, `toString`, `__proto__`)
   * and never names starting with `_`.
   */
  readonly endpoints: object;
  /** The API version the endpoints implement (`X.Y`). */
  readonly version: string;
  /** @default silentLogger() */
  readonly logger?: Logger;
}

/**
 * - `INITIALIZED`: built, not consuming.
 * - `STARTING`: `start()` is subscribing.
 * - `RUNNING`: consuming and dispatching.
 * - `STOPPING`: no new messages; running handlers finish and reply.
 * - `STOPPED`: done; a server does not start twice.
 */
export type RpcServerState = 'INITIALIZED' | 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED';

type BoundMethod = (ctx: RpcContext, args: object) => unknown;

function dispatchTable(endpoints: object): ReadonlyMap<string, BoundMethod> {
  const table = new Map<string, BoundMethod>();
  for (let o: object | null = endpoints; o !== null && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name.startsWith('_') || table.has(name)) continue;
      // NOTE: read the descriptor, not the property, so getters never run and only real methods count.
      const value: unknown = Object.getOwnPropertyDescriptor(o, name)?.value;
      if (typeof value === 'function') table.set(name, (value as BoundMethod).bind(endpoints));
    }
  }
  return table;
}

/**
 * Consumes `<topic>` (shared with every server of the topic), `<topic>.<server>` and the topic's
 * fanout, and runs `endpoints[method](ctx, args)`. A handler's error goes back to the caller as a
 * WireError and is logged (4xx at info, 5xx at error); it never escapes to the process.
 */
export class RpcServer {
  readonly #transport: Transport;
  readonly #topic: string;
  readonly #server: string;
  readonly #version: string;
  readonly #methods: ReadonlyMap<string, BoundMethod>;
  readonly #logger: Logger;
  #state: RpcServerState = 'INITIALIZED';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #listener: TransportListener | undefined;

  /** Throws a TypeError for a malformed topic, server or version. */
  constructor(transport: Transport, options: RpcServerOptions) {
    this.#transport = transport;
    this.#topic = assertRpcName(options.topic, 'topic');
    this.#server = assertRpcName(options.server, 'server');
    this.#version = assertRpcVersion(options.version, 'version');
    this.#methods = dispatchTable(options.endpoints);
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'rpc-server', topic: options.topic, host: options.server });
  }

  /** Where the lifecycle is; see RpcServerState. */
  get state(): RpcServerState {
    return this.#state;
  }

  /** The RPC methods this server dispatches to, sorted. */
  get methods(): readonly string[] {
    return [...this.#methods.keys()].sort();
  }

  /** Start consuming; resolves once messages flow. Throws when called twice or after stop. */
  start(): Promise<void> {
    if (this.#state !== 'INITIALIZED') return Promise.reject(new Error(`RpcServer ${this.#topic}.${this.#server} cannot start: it is ${this.#state}`));
    this.#state = 'STARTING';
    this.#starting = this.#start();
    return this.#starting;
  }

  /** Stop consuming and wait for running handlers to reply. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #start(): Promise<void> {
    try {
      this.#listener = await this.#transport.listen({ topic: this.#topic, server: this.#server }, (request, reply) => this.#handle(request, reply));
    } catch (err) {
      this.#state = 'STOPPED';
      throw err;
    }
    // NOTE: stop() may have been called while starting; it waits for this promise and then stops.
    if (this.#state !== 'STARTING') return;
    this.#state = 'RUNNING';
    this.#logger.info({ version: this.#version, methods: this.methods.length }, 'rpc server started');
  }

  async #stop(): Promise<void> {
    if (this.#state === 'INITIALIZED' || this.#state === 'STOPPED') {
      this.#state = 'STOPPED';
      return;
    }
    this.#state = 'STOPPING';
    await this.#starting?.catch(() => undefined);
    await this.#listener?.stop();
    this.#state = 'STOPPED';
    this.#logger.info({}, 'rpc server stopped');
  }

  async #handle(request: RpcRequest, reply: ReplySender | undefined): Promise<void> {
    const started = performance.now();
    const fields = {
      method: request.method,
      msgId: request.msgId,
      requestId: request.ctx.requestId,
      globalRequestId: request.ctx.globalRequestId,
      kind: reply === undefined ? 'cast' : 'call',
    };
    let outcome: RpcReply;
    try {
      outcome = { msgId: request.msgId, result: await this.#dispatch(request) };
      this.#logger.debug({ ...fields, ms: Math.round(performance.now() - started) }, 'rpc handled');
    } catch (err) {
      const error = errorToWire(err);
      this.#logFailure(fields, error, err);
      outcome = { msgId: request.msgId, error };
    }
    if (reply === undefined) return;
    try {
      await reply(outcome);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'MalformedRpcMessage') throw err;
      // The result could not be serialized: the caller gets that error instead.
      const error = errorToWire(err);
      this.#logFailure(fields, error, err);
      await reply({ msgId: request.msgId, error });
    }
  }

  async #dispatch(request: RpcRequest): Promise<unknown> {
    if (!versionIsCompatible(this.#version, request.version)) throw new UnsupportedRpcVersion(this.#topic, request.version, this.#version);
    const method = this.#methods.get(request.method);
    if (method === undefined) throw new UnsupportedRpcMethod(this.#topic, request.method);
    const result = await method(Object.freeze(request.ctx), request.args);
    return result === undefined ? null : result;
  }

  #logFailure(fields: object, error: WireError, err: unknown): void {
    if (error.status < 500) this.#logger.info({ ...fields, status: error.status, code: error.code }, 'rpc handler failed');
    else this.#logger.error({ ...fields, status: error.status, code: error.code, err }, 'rpc handler failed');
  }
}
