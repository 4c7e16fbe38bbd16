/** IPv4/IPv6 address and CIDR arithmetic on BigInt: parse, format (as netaddr prints), contain, overlap, pools. */
import { isIPv4, isIPv6 } from 'node:net';

/** An IP version. */
export type IpVersion = 4 | 6;

/** A parsed address. */
export interface IpAddress {
  readonly version: IpVersion;
  readonly value: bigint;
}

/** A parsed CIDR: network address, prefix length, and whether the text had host bits set. */
export interface Cidr {
  readonly version: IpVersion;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefixlen: number;
  /** True when the text named an address inside the network rather than the network itself. */
  readonly hostBitsSet: boolean;
}

/** An inclusive address range. */
export interface IpRange {
  readonly first: bigint;
  readonly last: bigint;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };

/** Width of an address of `version` in bits. */
export function addressBits(version: IpVersion): number {
  return BITS[version];
}

function parseV4(s: string): bigint {
  let v = 0n;
  for (const part of s.split('.')) v = (v << 8n) | BigInt(Number(part));
  return v;
}

function parseV6(text: string): bigint {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseV4(tail);
    s = `${s.slice(0, lastColon + 1)}${((v4 >> 16n) & 0xffffn).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined ? [] : rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...r];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return v;
}

/** Parse a strict IPv4 (dotted quad) or IPv6 address; undefined when `text` is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  if (isIPv4(text)) return { version: 4, value: parseV4(text) };
  if (isIPv6(text) && !text.includes('%')) return { version: 6, value: parseV6(text) };
  return undefined;
}

/** Print an address as netaddr does: dotted quad, or RFC 5952 compressed lowercase IPv6. */
export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** The canonical text of an address, or undefined when it is not one. */
export function normalizeIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip.version, ip.value);
}

function mask(version: IpVersion, prefixlen: number): bigint {
  const bits = BigInt(BITS[version]);
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefixlen))) & all;
}

/** Parse `addr/len` (a bare address is a host route: /32 or /128); undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (ip === undefined) return undefined;
  let prefixlen = BITS[ip.version];
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return undefined;
    prefixlen = Number(lenText);
    if (prefixlen > BITS[ip.version]) return undefined;
  }
  const network = ip.value & mask(ip.version, prefixlen);
  return { version: ip.version, network, prefixlen, hostBitsSet: network !== ip.value };
}

/** `network/prefixlen` in canonical form. */
export function formatCidr(c: Pick<Cidr, 'version' | 'network' | 'prefixlen'>): string {
  return `${formatIp(c.version, c.network)}/${c.prefixlen}`;
}

/** First and last address of a CIDR. */
export function cidrRange(c: Pick<Cidr, 'version' | 'network' | 'prefixlen'>): IpRange {
  const size = 1n << BigInt(BITS[c.version] - c.prefixlen);
  return { first: c.network, last: c.network + size - 1n };
}

/** Number of addresses in a CIDR. */
export function cidrSize(c: Pick<Cidr, 'version' | 'prefixlen'>): bigint {
  return 1n << BigInt(BITS[c.version] - c.prefixlen);
}

/** True when `ip` lies inside `c` (same version). */
export function cidrContains(c: Cidr, ip: IpAddress): boolean {
  if (c.version !== ip.version) return false;
  const r = cidrRange(c);
  return ip.value >= r.first && ip.value <= r.last;
}

/** True when two CIDRs of the same version share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.version !== b.version) return false;
  const ra = cidrRange(a);
  const rb = cidrRange(b);
  return ra.first <= rb.last && rb.first <= ra.last;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  if (inner.version !== outer.version || inner.prefixlen < outer.prefixlen) return false;
  const ri = cidrRange(inner);
  const ro = cidrRange(outer);
  return ri.first >= ro.first && ri.last <= ro.last;
}

/**
 * The default allocation pools of a subnet, as neutron's `generate_pools`: every address but the
 * network address, the IPv4 broadcast and the gateway; none for a /31 (or /127); the single
 * address of a /32 (or /128).
 */
export function generatePools(c: Cidr, gateway: bigint | null): IpRange[] {
  const r = cidrRange(c);
  if (r.first === r.last) return [{ first: r.first, last: r.last }];
  const first = r.first + 1n;
  const last = r.last - (c.version === 4 ? 1n : 0n);
  if (first >= last) return [];
  if (gateway === null || gateway < first || gateway > last) return [{ first, last }];
  const out: IpRange[] = [];
  if (gateway > first) out.push({ first, last: gateway - 1n });
  if (gateway < last) out.push({ first: gateway + 1n, last });
  return out;
}

/** The usable range for allocation pools: network address and IPv4 broadcast excluded (neutron's bounds check). */
export function poolBounds(c: Cidr): IpRange {
  const r = cidrRange(c);
  if (r.first === r.last) return r;
  if (c.version === 4 && c.prefixlen === 31) return r;
  return { first: r.first + 1n, last: r.last - (c.version === 4 ? 1n : 0n) };
}

/** True when the address is valid for a port on the subnet (not the network address, not the IPv4 broadcast). */
export function isUsableHostAddress(c: Cidr, value: bigint, isRouterPort = false): boolean {
  const r = cidrRange(c);
  if (value < r.first || value > r.last) return false;
  if (r.first === r.last || (c.version === 4 && c.prefixlen >= 31)) return true;
  if (c.version === 4) return value !== r.first && value !== r.last;
  // The IPv6 subnet-router anycast address belongs to routers only.
  return value !== r.first || isRouterPort;
}

/** The modified EUI-64 address of `mac` in an IPv6 /64 prefix (SLAAC). */
export function eui64Address(prefix: Cidr, mac: string): bigint {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const iid = [(b[0] ?? 0) ^ 0x02, b[1] ?? 0, b[2] ?? 0, 0xff, 0xfe, b[3] ?? 0, b[4] ?? 0, b[5] ?? 0];
  let v = 0n;
  for (const x of iid) v = (v << 8n) | BigInt(x);
  return prefix.network | v;
}

/** Merge overlapping or adjacent CIDRs into the fewest CIDRs covering the same addresses (netaddr's cidr_merge), sorted. */
export function mergeCidrs(cidrs: readonly Cidr[]): Cidr[] {
  const out: Cidr[] = [];
  for (const version of [4, 6] as const) {
    const ranges = cidrs
      .filter((c) => c.version === version)
      .map((c) => cidrRange(c))
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    const merged: IpRange[] = [];
    for (const r of ranges) {
      const top = merged[merged.length - 1];
      if (top !== undefined && r.first <= top.last + 1n) merged[merged.length - 1] = { first: top.first, last: r.last > top.last ? r.last : top.last };
      else merged.push(r);
    }
    for (const r of merged) out.push(...rangeToCidrs(version, r));
  }
  return out;
}

/** The CIDRs that exactly cover an inclusive range. */
export function rangeToCidrs(version: IpVersion, range: IpRange): Cidr[] {
  const out: Cidr[] = [];
  const bits = BITS[version];
  let cur = range.first;
  while (cur <= range.last) {
    let len = bits;
    // Grow the block while it stays aligned and inside the range.
    while (len > 0) {
      const size = 1n << BigInt(bits - len + 1);
      if (cur % size !== 0n || cur + size - 1n > range.last) break;
      len--;
    }
    out.push({ version, network: cur, prefixlen: len, hostBitsSet: false });
    cur += 1n << BigInt(bits - len);
  }
  return out;
}
