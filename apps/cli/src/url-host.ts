/** Hosts as they stand in the URLs the CLI builds from listen and public addresses. */

/** Addresses that mean "every interface" when listened on; nothing can be reached at them. */
const WILDCARDS = new Set(['', '0.0.0.0', '::']);

/** `h` as the host part of a URL: an IPv6 literal in brackets (`::1` → `[::1]`), anything else as it is. */
export function urlHost(h: string): string {
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/**
 * The URL host by which this machine reaches a service listening on `h`: a wildcard address
 * (all interfaces: '', 0.0.0.0, ::) becomes the loopback 127.0.0.1, any other address stays,
 * IPv6 literals in brackets.
 */
export function localUrlHost(h: string): string {
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  return urlHost(WILDCARDS.has(bare) ? '127.0.0.1' : bare);
}
