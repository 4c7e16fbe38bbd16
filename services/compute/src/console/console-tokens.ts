/**
 * Console access tokens (nova's console_auth_tokens): random, short-lived, bound to one server's
 * VNC address. Only a SHA-256 of each token is kept, so a dump of the store reveals no token.
 */
import { createHash, randomBytes } from 'node:crypto';

/** What a token grants: a connection to this VNC server. */
export interface ConsoleGrant {
  readonly instanceId: string;
  readonly host: string;
  readonly port: number;
  readonly expiresAt: number;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** In-memory token store of the all-in-one (nova-api and the proxy share the process). */
export class ConsoleTokenStore {
  readonly #grants = new Map<string, ConsoleGrant>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  /** @param ttlMs how long a token stays valid (nova's [consoleauth] token_ttl, 600 s). */
  constructor(ttlMs = 600_000, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** A new token for the server's console. */
  issue(g: { instanceId: string; host: string; port: number }): string {
    this.#prune();
    const token = randomBytes(32).toString('base64url');
    this.#grants.set(digest(token), { ...g, expiresAt: this.#now() + this.#ttlMs });
    return token;
  }

  /** The grant of a valid token, or undefined (unknown, expired or malformed). */
  check(token: string | undefined): ConsoleGrant | undefined {
    if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const g = this.#grants.get(digest(token));
    if (g === undefined) return undefined;
    if (g.expiresAt <= this.#now()) {
      this.#grants.delete(digest(token));
      return undefined;
    }
    return g;
  }

  /** Forget every token of a server (it was deleted). */
  revokeInstance(instanceId: string): void {
    for (const [k, g] of this.#grants) if (g.instanceId === instanceId) this.#grants.delete(k);
  }

  #prune(): void {
    const now = this.#now();
    for (const [k, g] of this.#grants) if (g.expiresAt <= now) this.#grants.delete(k);
  }
}
