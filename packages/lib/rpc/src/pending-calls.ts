/** The calls a transport has sent and still waits a reply for; shared by every transport. */
import type { Logger } from '@strata/log';
import { decodeReply, type RpcReply } from './rpc-envelope.js';

interface PendingCall {
  readonly resolve: (reply: RpcReply) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Waiting calls keyed by `msgId`. A transport registers a call with `wait`, hands every body that
 * arrives at its reply address to `settle`, and gives up on calls with `reject`/`rejectAll`.
 */
export class PendingCalls {
  readonly #calls = new Map<string, PendingCall>();
  readonly #logger: Logger;

  /** `logger` gets the malformed and the unknown replies that `settle` drops. */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Register the call `msgId`, then run `send`, so a reply can never arrive before its call is
   * known. Resolves with the reply `settle` routes to it; rejects with `signal.reason` when
   * aborted, or with the error given to `reject`. The call is forgotten once it settles.
   */
  wait(msgId: string, signal: AbortSignal, send: () => void): Promise<RpcReply> {
    return new Promise<RpcReply>((resolve, reject) => {
      const done = (): void => {
        this.#calls.delete(msgId);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#calls.set(msgId, {
        resolve: (reply) => {
          done();
          resolve(reply);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      send();
    });
  }

  /** Decode a reply body and resolve its call; a malformed reply, or one for an unknown or expired call, is logged and dropped. */
  settle(body: string): void {
    let reply: RpcReply;
    try {
      reply = decodeReply(body);
    } catch (err) {
      this.#logger.warn({ err }, 'malformed rpc reply dropped');
      return;
    }
    const call = this.#calls.get(reply.msgId);
    if (call === undefined) {
      this.#logger.debug({ msgId: reply.msgId }, 'rpc reply for an unknown or expired call dropped');
      return;
    }
    call.resolve(reply);
  }

  /** Reject the call `msgId` with `err`, if it still waits. */
  reject(msgId: string, err: unknown): void {
    this.#calls.get(msgId)?.reject(err);
  }

  /** Reject every waiting call, each with a fresh error from `error`. */
  rejectAll(error: () => unknown): void {
    for (const call of [...this.#calls.values()]) call.reject(error());
  }
}
