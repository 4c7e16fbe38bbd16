/** A small client for QEMU's machine protocol (QMP) over a unix socket: greeting, capabilities, commands with ids, events. */
import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';

/** A QMP event as QEMU sends it. */
export interface QmpEvent {
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly timestamp: { readonly seconds: number; readonly microseconds: number };
}

/** QEMU's version from the greeting. */
export interface QmpVersion {
  readonly major: number;
  readonly minor: number;
  readonly micro: number;
  readonly package: string;
}

/** An error QEMU answered a command with (`{"error": {"class", "desc"}}`). */
export class QmpError extends Error {
  /** QMP error class: `GenericError`, `CommandNotFound`, `DeviceNotFound`, ... */
  readonly errorClass: string;
  readonly command: string;
  constructor(command: string, errorClass: string, desc: string) {
    super(`QMP ${command}: ${desc}`);
    this.name = 'QmpError';
    this.errorClass = errorClass;
    this.command = command;
  }
}

/** The connection closed (QEMU exited, or close() was called) before an answer came. */
export class QmpClosedError extends Error {
  constructor(what: string) {
    super(`QMP connection closed ${what}`);
    this.name = 'QmpClosedError';
  }
}

/** Options of connect. */
export interface QmpConnectOptions {
  /** Give up connecting, reading the greeting and negotiating after this long. @default 5000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Options of execute and waitForEvent. */
export interface QmpCallOptions {
  /** Reject after this long (the command may still complete in QEMU). @default 30000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly command: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

type Message = Record<string, unknown>;

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

/**
 * One QMP connection. QEMU serves one client per QMP socket, so the driver keeps one client per
 * guest for commands and events. Events arrive as `event` emissions (and through waitForEvent);
 * `close` is emitted once when the connection ends for any reason.
 */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  readonly #socket: Socket;
  readonly #pending = new Map<string, Pending>();
  #buffer = '';
  #nextId = 1;
  #closed = false;
  #greeting: ((msg: Message) => void) | undefined;
  /** QEMU's version, from the greeting. */
  version: QmpVersion = { major: 0, minor: 0, micro: 0, package: '' };

  protected constructor(socket: Socket) {
    super();
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.#onClose());
  }

  /** Connect to the QMP socket at `path`, read the greeting and enter command mode (`qmp_capabilities`). */
  static async connect(path: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const socket = connect({ path });
    const client = new QmpClient(socket);
    const timer = setTimeout(() => socket.destroy(new Error(`QMP connect to ${path} timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => {
      socket.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const greeting = await new Promise<Message>((resolve, reject) => {
        client.#greeting = resolve;
        socket.once('error', reject);
        socket.once('close', () => reject(new QmpClosedError(`before the greeting from ${path}`)));
      });
      const qmp = greeting.QMP as { version?: { qemu?: Partial<QmpVersion>; package?: string } } | undefined;
      const v = qmp?.version;
      client.version = { major: v?.qemu?.major ?? 0, minor: v?.qemu?.minor ?? 0, micro: v?.qemu?.micro ?? 0, package: v?.package ?? '' };
      await client.execute('qmp_capabilities', undefined, { timeoutMs });
      return client;
    } catch (err) {
      socket.destroy();
      if (options.signal?.aborted === true) throw abortError(options.signal);
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** True once the connection ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Run a command and resolve with its `return` value. Rejects with QmpError when QEMU answers
   * an error, QmpClosedError when the connection ends first.
   */
  execute<T = unknown>(command: string, args?: Readonly<Record<string, unknown>>, options: QmpCallOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new QmpClosedError(`before ${command}`));
    if (options.signal?.aborted === true) return Promise.reject(abortError(options.signal));
    const id = `strata-${this.#nextId++}`;
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      const onAbort = (): void => {
        done();
        reject(abortError(options.signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`QMP ${command} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        command,
        resolve: (v) => {
          done();
          resolve(v as T);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.#socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /**
   * Resolve with the next event named `name` (for which `match` holds), or reject after the
   * timeout, on abort, or when the connection closes. Register it before running the command
   * that causes the event.
   */
  waitForEvent(name: string, match: (event: QmpEvent) => boolean = () => true, options: QmpCallOptions = {}): Promise<QmpEvent> {
    if (this.#closed) return Promise.reject(new QmpClosedError(`while waiting for ${name}`));
    if (options.signal?.aborted === true) return Promise.reject(abortError(options.signal));
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<QmpEvent>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onEvent = (ev: QmpEvent): void => {
        if (ev.event === name && match(ev)) {
          cleanup();
          resolve(ev);
        }
      };
      const onClose = (): void => {
        cleanup();
        reject(new QmpClosedError(`while waiting for ${name}`));
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortError(options.signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no QMP ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('event', onEvent);
      this.on('close', onClose);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Close the connection (QEMU keeps running). Pending commands reject with QmpClosedError. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', () => resolve());
      this.#socket.end();
      this.#socket.destroySoon();
    });
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl = this.#buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.length > 0) this.#onMessage(line);
      nl = this.#buffer.indexOf('\n');
    }
  }

  #onMessage(line: string): void {
    let msg: Message;
    try {
      msg = JSON.parse(line) as Message;
    } catch {
      return; // NOTE: QEMU only sends JSON; anything else is noise, not a reason to drop the link.
    }
    if ('QMP' in msg) {
      const greet = this.#greeting;
      this.#greeting = undefined;
      greet?.(msg);
      return;
    }
    if (typeof msg.event === 'string') {
      this.emit('event', {
        event: msg.event,
        data: (msg.data ?? {}) as Record<string, unknown>,
        timestamp: (msg.timestamp ?? { seconds: 0, microseconds: 0 }) as QmpEvent['timestamp'],
      });
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (pending === undefined) return;
    if ('error' in msg) {
      const e = (msg.error ?? {}) as { class?: string; desc?: string };
      pending.reject(new QmpError(pending.command, e.class ?? 'GenericError', e.desc ?? 'unknown error'));
    } else {
      pending.resolve(msg.return);
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#pending.values()]) p.reject(new QmpClosedError(`before the answer to ${p.command}`));
    this.#pending.clear();
    this.emit('close');
  }
}
