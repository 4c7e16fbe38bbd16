/** Validates X-Auth-Token against keystone with a short cache, as keystonemiddleware's auth_token does. */
import { Unauthorized, ServiceUnavailable, isOpenStackError } from '@strata/errors';
import { IdentityClient, type TokenBody } from '@strata/clients';

/** Options of the validator. */
export interface TokenValidatorOptions {
  /** Keystone's auth URL (…/v3). */
  readonly authUrl: string;
  /** How long a validation is trusted; a revoked token keeps working at most this long. @default 30000 */
  readonly cacheTtlMs?: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** Largest number of cached tokens. @default 10000 */
  readonly maxEntries?: number;
}

interface Entry {
  readonly body: TokenBody;
  readonly until: number;
}

/** Validates tokens; safe to share by every route of a service. */
export class TokenValidator {
  readonly #client: IdentityClient;
  readonly #ttl: number;
  readonly #max: number;
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<TokenBody>>();
  /** Requests sent to keystone (for tests and metrics). */
  keystoneCalls = 0;

  constructor(opts: TokenValidatorOptions) {
    this.#client = new IdentityClient(opts.authUrl, opts.timeoutMs ?? 10_000);
    this.#ttl = opts.cacheTtlMs ?? 30_000;
    this.#max = opts.maxEntries ?? 10_000;
  }

  /**
   * The token's body; 401 when keystone does not accept it, 503 when keystone cannot be reached.
   * Concurrent validations of one token share one keystone request.
   */
  async validate(token: string, globalRequestId?: string): Promise<TokenBody> {
    const now = Date.now();
    const hit = this.#cache.get(token);
    if (hit !== undefined) {
      if (hit.until > now) return hit.body;
      this.#cache.delete(token);
    }
    const pending = this.#inflight.get(token);
    if (pending !== undefined) return pending;
    const p = this.#fetch(token, globalRequestId).finally(() => this.#inflight.delete(token));
    this.#inflight.set(token, p);
    return p;
  }

  async #fetch(token: string, globalRequestId: string | undefined): Promise<TokenBody> {
    this.keystoneCalls += 1;
    let body: TokenBody;
    try {
      // NOTE: the token validates itself (subject == caller), so services need no service credentials.
      body = await this.#client.validateToken(token, token, { authTiming: true, ...(globalRequestId !== undefined ? { globalRequestId } : {}) });
    } catch (err) {
      if (isOpenStackError(err) && (err.status === 401 || err.status === 404 || err.status === 403)) throw new Unauthorized('The request you have made requires authentication.', {}, 'InvalidToken');
      if (isOpenStackError(err) && err.status === 503) throw new ServiceUnavailable('The identity service is not available.', {}, 'IdentityUnavailable', { cause: err });
      throw err;
    }
    const expires = Date.parse(body.expires_at);
    if (this.#ttl > 0) {
      if (this.#cache.size >= this.#max) this.#cache.clear();
      this.#cache.set(token, { body, until: Math.min(Date.now() + this.#ttl, Number.isNaN(expires) ? Infinity : expires) });
    }
    return body;
  }
}
