/** Choosing free addresses from allocation pools without enumerating them (IPv6 pools are 2^64 wide). */
import type { IpRange } from './cidr.js';

/** Options of `pickFreeAddress`. */
export interface PickOptions {
  /**
   * Choose at random among the first `window` free addresses instead of the lowest one, so that
   * retries after a lost race spread out. @default 1 (the lowest free address)
   */
  readonly window?: number;
  /** Random source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * A free address in `pools` (inclusive ranges, any order) given the `used` addresses, or
 * undefined when every pool is full. Runs in O(pools + used) whatever the pool sizes.
 */
export function pickFreeAddress(pools: readonly IpRange[], used: readonly bigint[], options: PickOptions = {}): bigint | undefined {
  const window = Math.max(1, options.window ?? 1);
  const found = freeAddresses(pools, used, window);
  if (found.length === 0) return undefined;
  const i = window === 1 ? 0 : Math.floor((options.random ?? Math.random)() * found.length);
  return found[Math.min(i, found.length - 1)];
}

/** Up to `max` free addresses of `pools`, lowest first, given the `used` ones; O(pools + used). */
export function freeAddresses(pools: readonly IpRange[], used: readonly bigint[], max: number): bigint[] {
  const window = max;
  const sortedUsed = [...used].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sortedPools = [...pools].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const found: bigint[] = [];
  let u = 0;
  for (const pool of sortedPools) {
    let candidate = pool.first;
    while (u < sortedUsed.length && (sortedUsed[u] as bigint) < candidate) u++;
    while (candidate <= pool.last && found.length < window) {
      const next = sortedUsed[u];
      if (next !== undefined && next === candidate) {
        candidate++;
        u++;
        continue;
      }
      // Every address up to the next used one (or the pool's end) is free.
      const stop = next !== undefined && next <= pool.last ? next - 1n : pool.last;
      while (candidate <= stop && found.length < window) found.push(candidate++);
    }
    if (found.length >= window) break;
  }
  return found;
}

/** Total number of addresses in `pools`. */
export function poolsSize(pools: readonly IpRange[]): bigint {
  return pools.reduce((n, p) => n + (p.last - p.first + 1n), 0n);
}

/** True when `value` lies in any of `pools`. */
export function inPools(pools: readonly IpRange[], value: bigint): boolean {
  return pools.some((p) => value >= p.first && value <= p.last);
}
