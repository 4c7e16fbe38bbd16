/** IPAM against the database: resolve fixed_ips requests, allocate from pools, SLAAC addresses; unique per subnet by primary key. */
import type { NetworkDb } from '../objects/common.js';
import type { Subnet } from '../objects/subnet.js';
import { allocatedBetween, allocationHolder, ipSortKey, type FixedIp } from '../objects/port.js';
import { cidrContains, eui64Address, formatIp, isUsableHostAddress, parseCidr, parseIp, type IpRange } from './cidr.js';
import { freeAddresses } from './ip-allocator.js';
import { badAttribute, invalidInput, ipAddressGenerationFailure, ipAddressInUse, notFound } from '../errors.js';

/** One requested fixed IP as the API has it. */
export interface FixedIpRequest {
  readonly subnetId?: string;
  readonly ipAddress?: string;
}

/** Router-owned ports may take the IPv6 subnet-router anycast address. */
const ROUTER_OWNERS = new Set(['network:router_interface', 'network:router_gateway', 'network:router_interface_distributed', 'network:ha_router_replicated_interface']);

/** True for IPv6 subnets whose addresses come from the MAC (SLAAC and DHCPv6-stateless). */
export function isAutoAddressSubnet(s: Subnet): boolean {
  return s.ipVersion === 6 && (s.ipv6AddressMode === 'slaac' || s.ipv6AddressMode === 'dhcpv6-stateless');
}

/** The pools of a subnet as ranges. */
export function subnetPools(s: Subnet): IpRange[] {
  return s.allocationPools.map((p) => ({ first: parseIp(p.start)!.value, last: parseIp(p.end)!.value }));
}

/** Where the next search of each subnet starts (the address after the last one given), so filling a subnet stays O(1) per port. */
const hints = new Map<string, bigint>();
const BATCH = 128;

/**
 * A free address of a subnet, or undefined when its pools are full. Scans the allocation index in
 * address order from the subnet's hint to the end of its pools, then from their start, a batch of
 * rows at a time, skipping `exclude`. With `window` > 1 it picks at random among the first
 * `window` free addresses (after a lost race).
 */
async function findFree(db: NetworkDb, s: Subnet, exclude: ReadonlySet<bigint>, window: number): Promise<bigint | undefined> {
  const version = s.ipVersion;
  const pools = subnetPools(s).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const hint = hints.get(s.id);
  const segments: IpRange[] = [];
  if (hint === undefined) segments.push(...pools);
  else {
    for (const p of pools) if (p.last >= hint) segments.push({ first: p.first > hint ? p.first : hint, last: p.last });
    for (const p of pools) if (p.first < hint) segments.push({ first: p.first, last: p.last < hint - 1n ? p.last : hint - 1n });
  }
  const key = (v: bigint): string => ipSortKey({ version, value: v });
  const found: bigint[] = [];
  for (const seg of segments) {
    let cursor = seg.first;
    while (cursor <= seg.last && found.length < window) {
      const rows = (await allocatedBetween(db, s.id, key(cursor), key(seg.last), BATCH)).map((r) => BigInt(`0x${r}`));
      const upto = rows.length === BATCH ? (rows[rows.length - 1] as bigint) : seg.last;
      const used = [...rows, ...[...exclude].filter((v) => v >= cursor && v <= upto)];
      found.push(...freeAddresses([{ first: cursor, last: upto }], used, window - found.length));
      cursor = upto + 1n;
    }
    if (found.length >= window) break;
  }
  if (found.length === 0) return undefined;
  const pick = found[window === 1 ? 0 : Math.floor(Math.random() * found.length)] as bigint;
  if (hints.size > 100_000) hints.clear();
  hints.set(s.id, pick + 1n);
  return pick;
}

/** Parse the fixed_ips attribute of a port body. */
export function parseFixedIps(v: unknown): FixedIpRequest[] {
  if (!Array.isArray(v)) throw badAttribute('fixed_ips', `'${JSON.stringify(v)}' is not a list`);
  return v.map((e) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw badAttribute('fixed_ips', `'${JSON.stringify(e)}' is not a dictionary`);
    const o = e as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'subnet_id' && k !== 'ip_address') throw badAttribute('fixed_ips', `Unrecognized attribute '${k}'`);
    if (o.subnet_id !== undefined && typeof o.subnet_id !== 'string') throw badAttribute('fixed_ips', `'${String(o.subnet_id)}' is not a valid UUID`);
    let ip: string | undefined;
    if (o.ip_address !== undefined && o.ip_address !== null) {
      const parsed = typeof o.ip_address === 'string' ? parseIp(o.ip_address) : undefined;
      if (parsed === undefined) throw badAttribute('fixed_ips', `'${String(o.ip_address)}' is not a valid IP address`);
      ip = formatIp(parsed.version, parsed.value);
    }
    if (o.subnet_id === undefined && ip === undefined) throw badAttribute('fixed_ips', 'Exactly one of subnet_id or ip_address must be given for a fixed IP');
    return { ...(typeof o.subnet_id === 'string' ? { subnetId: o.subnet_id } : {}), ...(ip !== undefined ? { ipAddress: ip } : {}) };
  });
}

/**
 * Allocate the addresses a port asks for on `subnets` (its network's): explicit addresses are
 * checked (400 outside the subnet, 409 IpAddressInUse when held), subnet-only requests take a free
 * pool address, and no request at all takes one IPv4 and one IPv6 address plus every SLAAC
 * address, as neutron does. 409 IpAddressGenerationFailure when a pool is full. `attempt` > 0
 * spreads picks after a lost race.
 */
export async function allocateIps(
  db: NetworkDb,
  networkId: string,
  subnets: readonly Subnet[],
  requests: readonly FixedIpRequest[] | undefined,
  port: { macAddress: string; deviceOwner: string },
  attempt: number,
): Promise<FixedIp[]> {
  const out: FixedIp[] = [];
  const taken = new Map<string, Set<bigint>>();
  const window = attempt === 0 ? 1 : Math.min(32, 4 + attempt * 4);
  const pick = async (s: Subnet): Promise<string | undefined> => {
    const c = parseCidr(s.cidr)!;
    const exclude = new Set(taken.get(s.id) ?? []);
    if (s.gatewayIp !== null) exclude.add(parseIp(s.gatewayIp)!.value);
    const v = await findFree(db, s, exclude, window);
    if (v === undefined) return undefined;
    (taken.get(s.id) ?? taken.set(s.id, new Set()).get(s.id)!).add(v);
    return formatIp(c.version, v);
  };
  const isRouter = ROUTER_OWNERS.has(port.deviceOwner);

  if (requests === undefined) {
    const v4 = subnets.filter((s) => s.ipVersion === 4);
    const v6 = subnets.filter((s) => s.ipVersion === 6 && !isAutoAddressSubnet(s));
    for (const group of [v4, v6]) {
      if (group.length === 0) continue;
      let got: FixedIp | undefined;
      for (const s of group) {
        const ip = await pick(s);
        if (ip !== undefined) {
          got = { subnetId: s.id, ipAddress: ip };
          break;
        }
      }
      if (got === undefined) throw ipAddressGenerationFailure(networkId);
      out.push(got);
    }
    if (!isRouter) {
      for (const s of subnets.filter(isAutoAddressSubnet)) {
        const ip = formatIp(6, eui64Address(parseCidr(s.cidr)!, port.macAddress));
        if ((await allocationHolder(db, s.id, ip)) !== undefined) throw ipAddressInUse(networkId, ip);
        out.push({ subnetId: s.id, ipAddress: ip });
      }
    }
    return out;
  }

  const seen = new Set<string>();
  for (const r of requests) {
    let subnet: Subnet | undefined;
    if (r.subnetId !== undefined) {
      subnet = subnets.find((s) => s.id === r.subnetId);
      if (subnet === undefined) {
        if (!(await subnetExists(db, r.subnetId))) throw notFound('Subnet', r.subnetId);
        throw invalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${r.subnetId}.`);
      }
    }
    if (r.ipAddress !== undefined) {
      const ip = parseIp(r.ipAddress)!;
      if (subnet === undefined) {
        subnet = subnets.find((s) => cidrContains(parseCidr(s.cidr)!, ip));
        if (subnet === undefined) throw invalidInput(`IP address ${r.ipAddress} is not a valid IP for any of the subnets on the specified network.`);
      }
      const c = parseCidr(subnet.cidr)!;
      if (!cidrContains(c, ip) || !isUsableHostAddress(c, ip.value, isRouter)) throw invalidInput(`IP address ${r.ipAddress} is not a valid IP for the specified subnet.`);
      const key = `${subnet.id}/${r.ipAddress}`;
      if (seen.has(key)) throw invalidInput(`Duplicate IP address '${r.ipAddress}'.`);
      seen.add(key);
      if ((await allocationHolder(db, subnet.id, r.ipAddress)) !== undefined) throw ipAddressInUse(networkId, r.ipAddress);
      (taken.get(subnet.id) ?? taken.set(subnet.id, new Set()).get(subnet.id)!).add(ip.value);
      out.push({ subnetId: subnet.id, ipAddress: r.ipAddress });
      continue;
    }
    const s = subnet!;
    if (isAutoAddressSubnet(s) && !isRouter) {
      const ip = formatIp(6, eui64Address(parseCidr(s.cidr)!, port.macAddress));
      if ((await allocationHolder(db, s.id, ip)) !== undefined) throw ipAddressInUse(networkId, ip);
      out.push({ subnetId: s.id, ipAddress: ip });
      continue;
    }
    const ip = await pick(s);
    if (ip === undefined) throw ipAddressGenerationFailure(networkId);
    out.push({ subnetId: s.id, ipAddress: ip });
  }
  return out;
}

async function subnetExists(db: NetworkDb, id: string): Promise<boolean> {
  return (await db.selectFrom('subnets').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/**
 * Neutron's `_get_changed_ips_for_port`: which requested fixed IPs keep an existing address, which
 * are new, and which existing addresses go. A subnet-only request keeps the port's address on that
 * subnet. Auto-address (SLAAC) addresses the request leaves out stay, as in neutron.
 */
export function changedIps(original: readonly FixedIp[], requests: readonly FixedIpRequest[], subnets: readonly Subnet[]): { keep: FixedIp[]; add: FixedIpRequest[]; remove: FixedIp[] } {
  const keep: FixedIp[] = [];
  const add: FixedIpRequest[] = [];
  const byIp = new Map(original.map((f) => [`${f.ipAddress}`, f]));
  for (const r of requests) {
    if (r.ipAddress === undefined) continue;
    const o = byIp.get(r.ipAddress);
    if (o !== undefined && (r.subnetId === undefined || r.subnetId === o.subnetId)) {
      keep.push(o);
      byIp.delete(r.ipAddress);
    } else add.push(r);
  }
  const bySubnet = new Map<string, FixedIp[]>();
  for (const f of byIp.values()) (bySubnet.get(f.subnetId) ?? bySubnet.set(f.subnetId, []).get(f.subnetId)!).push(f);
  for (const r of requests) {
    if (r.ipAddress !== undefined) continue;
    const pool = bySubnet.get(r.subnetId ?? '');
    const o = pool?.pop();
    if (o === undefined) add.push(r);
    else keep.push(o);
  }
  const remove: FixedIp[] = [];
  for (const list of bySubnet.values()) {
    for (const f of list) {
      const s = subnets.find((x) => x.id === f.subnetId);
      if (s !== undefined && isAutoAddressSubnet(s)) keep.push(f);
      else remove.push(f);
    }
  }
  return { keep, add, remove };
}
