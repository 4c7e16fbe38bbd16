/** Parsing of oslo.messaging-style `rabbit://user:pass@host:port/vhost` transport URLs. */

/** The parts of a rabbit:// URL. */
export interface AmqpUrl {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly vhost: string;
  /** The URL without credentials, safe to log. */
  readonly description: string;
}

/**
 * Parse `rabbit://user:pass@host:port/vhost`. The port defaults to 5672, the credentials to
 * guest/guest and the vhost to `/` (an empty path or `/`; `%2F` also means `/`). Throws a
 * TypeError naming the problem, never echoing the password.
 */
export function parseAmqpUrl(text: string): AmqpUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError('transport_url is not a valid URL (expected rabbit://user:pass@host:port/vhost)');
  }
  if (url.protocol !== 'rabbit:') throw new TypeError(`transport_url scheme must be rabbit:, got ${url.protocol}`);
  if (url.hostname === '') throw new TypeError('transport_url has no host (expected rabbit://user:pass@host:port/vhost)');
  if (url.search !== '') throw new TypeError('transport_url query options are not supported');
  const port = url.port === '' ? 5672 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (path.includes('/')) throw new TypeError('transport_url path must be a single vhost name');
  const vhost = path === '' ? '/' : decodeURIComponent(path);
  return {
    hostname: url.hostname,
    port,
    ...(url.username === '' && url.password === ''
      ? { username: 'guest', password: 'guest' }
      : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }),
    vhost,
    description: `rabbit://${url.host}/${path}`,
  };
}
