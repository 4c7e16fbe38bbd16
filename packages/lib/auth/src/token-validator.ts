/** Validates X-Auth-Token against keystone with a short cache, as keystonemiddleware's auth_token does. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Unauthorized, ServiceUnavailable, isOpenStackError } from '@strata/errors';
import { IdentityClient, type TokenBody } from '@strata/clients';

/** Options of the validator. */
export interface TokenValidatorOptions {
  /** Keystone's auth URL (…/v3). */
  readonly authUrl: string;
  /** How long a validation is trusted; a revoked token keeps working at most this long. @default 30000 */
  readonly cacheTtlMs?: number;
  /** Timeout of one request to keystone. @default 10000 */
  readonly timeoutMs?: number;
  /** Largest number of cached tokens; past it the oldest entry goes. @default 10000 */
  readonly maxEntries?: number;
  /**
   * Further attempts after a transient failure: the connection to keystone refused or reset, or keystone
   * answering 502, 503 or 504. A timeout is not retried (keystone is slow, not gone). @default 2
   */
  readonly retries?: number;
  /** Pause before the first retry, doubled for each next one. @default 100 */
  readonly retryDelayMs?: number;
}

interface Entry {
  readonly body: TokenBody;
  /** Trusted until then (ms since the epoch): at most the TTL after keystone said so, never past the token's expiry. */
  readonly until: number;
  /** From then on a use of the entry also revalidates the token in the background. */
  readonly refreshAt: number;
}

/** The share of an entry's life after which it is revalidated ahead of its end. */
const REFRESH_AFTER = 0.8;

/** Whether a failed request to keystone is worth repeating at once. */
function isTransient(err: unknown): boolean {
  if (!isOpenStackError(err)) return false;
  if (err.code === 'ServiceUnreachable') return (err.cause as { name?: unknown } | undefined)?.name !== 'TimeoutError';
  return err.status === 502 || err.status === 503 || err.status === 504;
}

/**
 * Validates tokens; safe to share by every route of a service. Concurrent validations of one token share one
 * request to keystone, a transient failure of it is retried, and a token in use is revalidated shortly before
 * its entry ends, so a burst of requests does not stall on (or fail with) one validation when the TTL passes.
 */
export class TokenValidator {
  readonly #client: IdentityClient;
  readonly #ttl: number;
  readonly #max: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<TokenBody>>();
  /** Requests sent to keystone, retries included (for tests and metrics). */
  keystoneCalls = 0;

  constructor(opts: TokenValidatorOptions) {
    this.#client = new IdentityClient(opts.authUrl, opts.timeoutMs ?? 10_000);
    this.#ttl = opts.cacheTtlMs ?? 30_000;
    this.#max = opts.maxEntries ?? 10_000;
    this.#retries = opts.retries ?? 2;
    this.#retryDelayMs = opts.retryDelayMs ?? 100;
  }

  /**
   * The token's body; 401 when keystone does not accept it, 503 when keystone cannot be reached (after the
   * retries). A failure is never cached: the next validation asks keystone again.
   */
  async validate(token: string, globalRequestId?: string): Promise<TokenBody> {
    const now = Date.now();
    const hit = this.#cache.get(token);
    if (hit !== undefined) {
      if (hit.until > now) {
        // NOTE: the entry keeps its end, so revalidating early never stretches how long a revoked token works;
        // #shared joins a revalidation already under way, so a burst sends one.
        if (hit.refreshAt <= now) this.#shared(token, globalRequestId).catch(() => undefined);
        return hit.body;
      }
      this.#cache.delete(token);
    }
    return this.#shared(token, globalRequestId);
  }

  /** The validation of `token` under way, or a new one. */
  #shared(token: string, globalRequestId: string | undefined): Promise<TokenBody> {
    const pending = this.#inflight.get(token);
    if (pending !== undefined) return pending;
    const p = this.#fetch(token, globalRequestId).finally(() => this.#inflight.delete(token));
    this.#inflight.set(token, p);
    return p;
  }

  async #fetch(token: string, globalRequestId: string | undefined): Promise<TokenBody> {
    let body: TokenBody;
    try {
      body = await this.#ask(token, globalRequestId);
    } catch (err) {
      if (isOpenStackError(err) && (err.status === 401 || err.status === 404 || err.status === 403)) {
        this.#cache.delete(token);
        throw new Unauthorized('The request you have made requires authentication.', {}, 'InvalidToken');
      }
      if (isOpenStackError(err) && err.status === 503) throw new ServiceUnavailable('The identity service is not available.', {}, 'IdentityUnavailable', { cause: err });
      throw err;
    }
    const expires = Date.parse(body.expires_at);
    if (this.#ttl > 0) {
      const now = Date.now();
      const until = Math.min(now + this.#ttl, Number.isNaN(expires) ? Infinity : expires);
      this.#cache.delete(token);
      if (this.#cache.size >= this.#max) {
        const oldest = this.#cache.keys().next();
        if (oldest.done !== true) this.#cache.delete(oldest.value);
      }
      this.#cache.set(token, { body, until, refreshAt: now + (until - now) * REFRESH_AFTER });
    }
    return body;
  }

  /** GET /v3/auth/tokens, repeated after a transient failure. */
  async #ask(token: string, globalRequestId: string | undefined): Promise<TokenBody> {
    for (let attempt = 0; ; attempt++) {
      this.keystoneCalls += 1;
      try {
        // NOTE: the token validates itself (subject == caller), so services need no service credentials.
        return await this.#client.validateToken(token, token, { authTiming: true, ...(globalRequestId !== undefined ? { globalRequestId } : {}) });
      } catch (err) {
        if (attempt >= this.#retries || !isTransient(err)) throw err;
      }
      await sleep(this.#retryDelayMs * 2 ** attempt);
    }
  }
}
