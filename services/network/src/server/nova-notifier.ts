/** Tells nova about port events through os-server-external-events, as neutron's nova notifier does; a no-op without nova. */
import { IdentityClient, endpointFor, requestJson } from '@strata/clients';
import type { Logger } from '@strata/log';

/** One external event. */
export interface NovaEvent {
  readonly name: 'network-vif-plugged' | 'network-vif-unplugged' | 'network-vif-deleted' | 'network-changed';
  readonly serverUuid: string;
  /** The port id. */
  readonly tag: string;
  readonly status: 'completed' | 'failed';
}

/** Options of the notifier. */
export interface NovaNotifierOptions {
  /** Keystone's auth URL (…/v3), to find nova in the catalog. */
  readonly authUrl: string | undefined;
  readonly logger: Logger;
  /** Time bound of one notification. @default 5000 */
  readonly timeoutMs?: number;
  /** How long the catalog lookup (including "no nova") is trusted. @default 30000 */
  readonly catalogTtlMs?: number;
}

/** What a send did, for the trace. */
export type NotifyOutcome = 'sent' | 'no-compute-endpoint' | 'no-credentials' | 'failed';

/**
 * Sends events to `POST <compute>/v2.1/os-server-external-events` with a token of neutron's service
 * user (admin and service roles in the `service` project; nova's policy needs admin). Nothing is
 * sent while there are no credentials (`useTokenProvider`) or no compute endpoint in the catalog.
 * Never throws: a failure is logged and reported as `failed`.
 */
export class NovaNotifier {
  readonly #identity: IdentityClient | undefined;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #ttl: number;
  #token: ((rejected?: string) => Promise<string>) | undefined;
  #endpoint: { url: string | undefined; until: number } | undefined;

  constructor(opts: NovaNotifierOptions) {
    this.#identity = opts.authUrl === undefined ? undefined : new IdentityClient(opts.authUrl, opts.timeoutMs ?? 5000);
    this.#log = opts.logger.child({ component: 'nova-notifier' });
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#ttl = opts.catalogTtlMs ?? 30_000;
  }

  /**
   * Give the notifier its credentials (neutron's [nova] section): tokens of the `neutron` user, asked
   * for on every send, so the source should reuse a token while it is valid (the all-in-one's does).
   * A token nova or keystone refuses with 401 is passed back to it once, for a new one.
   */
  useTokenProvider(token: (rejected?: string) => Promise<string>): void {
    this.#token = token;
    this.#endpoint = undefined;
  }

  async #computeUrl(token: string): Promise<string | undefined> {
    const now = Date.now();
    if (this.#endpoint !== undefined && this.#endpoint.until > now) return this.#endpoint.url;
    const body = await this.#identity!.validateToken(token, token, { nocatalog: false });
    const url = endpointFor(body, 'compute');
    this.#endpoint = { url, until: now + this.#ttl };
    return url;
  }

  async #send(token: string, events: readonly NovaEvent[], globalRequestId: string | undefined): Promise<'sent' | 'no-compute-endpoint'> {
    const base = await this.#computeUrl(token);
    if (base === undefined) return 'no-compute-endpoint';
    const url = `${base.replace(/\/+$/, '').replace(/\/v2(\.1)?(\/[0-9a-f-]+)?$/, '')}/v2.1/os-server-external-events`;
    await requestJson(url, {
      method: 'POST',
      timeoutMs: this.#timeoutMs,
      headers: { 'x-auth-token': token, ...(globalRequestId !== undefined ? { 'x-openstack-request-id': globalRequestId } : {}) },
      body: { events: events.map((e) => ({ name: e.name, server_uuid: e.serverUuid, tag: e.tag, status: e.status })) },
    });
    return 'sent';
  }

  /** Send events; resolves with what happened. */
  async notify(events: readonly NovaEvent[], globalRequestId?: string): Promise<NotifyOutcome> {
    if (events.length === 0) return 'sent';
    if (this.#token === undefined || this.#identity === undefined) return 'no-credentials';
    const source = this.#token;
    try {
      const token = await source();
      let outcome: 'sent' | 'no-compute-endpoint';
      try {
        outcome = await this.#send(token, events, globalRequestId);
      } catch (err) {
        if ((err as { status?: number }).status !== 401) throw err;
        // Revoked since it was issued (the user was disabled or got a new password): once more with a new token.
        outcome = await this.#send(await source(token), events, globalRequestId);
      }
      if (outcome === 'no-compute-endpoint') return outcome;
      this.#log.info({ events: events.length, name: events[0]?.name }, 'sent events to nova');
      return 'sent';
    } catch (err) {
      this.#log.warn({ err: (err as Error).message, events: events.length }, 'nova notification failed');
      return 'failed';
    }
  }
}
