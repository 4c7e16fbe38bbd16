/**
 * Security groups and anti-spoofing as nftables rules, one pair of tables per backend instance:
 *
 * - `bridge <table>`: runs on every bridged frame (forward hook, before br_netfilter hands IPv4/IPv6
 *   to the IP hooks). Frames from a port must carry its MAC and addresses (or an allowed address
 *   pair's); the frame is marked with the sending port's index (low 16 bits) and the receiving
 *   port's index (high 16 bits). This kernel has no bridge conntrack, so state lives in:
 * - `inet <table>`: the forward hook br_netfilter calls for bridged IP traffic (iif/oif are the
 *   bridge there). The marks select (by verdict maps) the port's egress chain (pass returns, so the receiver is also
 *   checked) and ingress chain, both stateful through conntrack: established traffic passes,
 *   rules accept, everything else is dropped (default-deny ingress; egress as the rules say).
 *
 * The whole ruleset is rebuilt and replaced in one `nft -f` transaction on every change.
 */
import { createHash } from 'node:crypto';
import type { AddressPairSpec, PortSecuritySpec, SecurityGroupRuleSpec } from '@strata/net';
import { checkIfname, checkMac } from './names.js';

/** One port as the firewall needs it. */
export interface FirewallPort {
  readonly portId: string;
  readonly index: number;
  readonly device: string;
  readonly bridge: string;
  readonly macAddress: string;
  readonly fixedIps: readonly string[];
  readonly allowedAddressPairs: readonly AddressPairSpec[];
  readonly security: PortSecuritySpec;
}

const PROTOCOLS: Readonly<Record<string, number>> = { icmp: 1, igmp: 2, tcp: 6, egp: 8, udp: 17, dccp: 33, ipv6: 41, rsvp: 46, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, ospf: 89, pgm: 113, sctp: 132, udplite: 136, vrrp: 112 };
const IP_OR_CIDR = /^[0-9a-f:.]+(\/\d{1,3})?$/i;

function addr(ip: string): string {
  if (!IP_OR_CIDR.test(ip)) throw new Error(`invalid address ${JSON.stringify(ip)} in firewall rule`);
  return ip;
}
const v6 = (ip: string): boolean => ip.includes(':');
const set = (items: readonly string[]): string => `{ ${items.join(', ')} }`;

/** The protocol number of a rule's protocol (name or number), or null for any. */
export function protocolNumber(protocol: string | null): number | null {
  if (protocol === null || protocol === '' || protocol === 'any') return null;
  if (/^\d{1,3}$/.test(protocol)) return Number(protocol);
  const n = PROTOCOLS[protocol.toLowerCase()];
  if (n === undefined) throw new Error(`unsupported protocol ${JSON.stringify(protocol)}`);
  return n;
}

/**
 * The match part of one security group rule, or null when it can match nothing (an empty remote
 * group). `groupSet` names a shared nft set holding a remote group's addresses of one family; without
 * it the addresses are written inline.
 */
export function ruleMatch(rule: SecurityGroupRuleSpec, members: Readonly<Record<string, readonly string[]>>, groupSet?: (groupId: string, six: boolean) => string): string | null {
  const six = rule.ethertype === 'IPv6';
  const parts: string[] = [six ? 'meta nfproto ipv6' : 'meta nfproto ipv4'];
  const ipKw = six ? 'ip6' : 'ip';
  const dir = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  if (rule.remoteIpPrefix !== null) {
    if (v6(rule.remoteIpPrefix) !== six) return null;
    parts.push(`${ipKw} ${dir} ${addr(rule.remoteIpPrefix)}`);
  } else if (rule.remoteGroupId !== null) {
    const ips = (members[rule.remoteGroupId] ?? []).filter((ip) => v6(ip) === six).map(addr);
    if (ips.length === 0) return null;
    parts.push(`${ipKw} ${dir} ${groupSet !== undefined ? `@${groupSet(rule.remoteGroupId, six)}` : set(ips)}`);
  }
  const proto = protocolNumber(rule.protocol);
  if (proto !== null) {
    parts.push(`meta l4proto ${proto}`);
    const min = rule.portRangeMin;
    const max = rule.portRangeMax;
    if (proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136) {
      if (min !== null) parts.push(`th dport ${max !== null && max !== min ? `${min}-${max}` : min}`);
    } else if (proto === 1 || proto === 58) {
      const kw = proto === 1 ? 'icmp' : 'icmpv6';
      if (min !== null) parts.push(`${kw} type ${min}`);
      if (min !== null && max !== null) parts.push(`${kw} code ${max}`);
    }
  }
  return parts.join(' ');
}

const q = (s: string): string => `"${checkIfname(s)}"`;

/** The rules of one port, as applied: its chains' rule lines. */
export interface PortRules {
  readonly index: number;
  readonly device: string;
  /** The port's addresses (fixed IPs and allowed address pairs): whose connections a tightening ends. */
  readonly addresses: readonly string[];
  readonly spoof: readonly string[];
  readonly egress: readonly string[];
  readonly ingress: readonly string[];
}

/** Everything the two tables hold; the backend keeps the last applied one and sends differences. */
export interface FirewallModel {
  readonly ports: ReadonlyMap<string, PortRules>;
  /** Remote group address sets by nft set name. */
  readonly groups: ReadonlyMap<string, { readonly six: boolean; readonly ips: ReadonlySet<string> }>;
  /** Bridges whose bridged IP traffic the inet table looks at. */
  readonly bridges: ReadonlySet<string>;
}

const setName = (groupId: string, six: boolean): string => `rg${six ? 6 : 4}_${createHash('sha256').update(groupId).digest('hex').slice(0, 12)}`;

/** ICMPv6 a port may always send (MLD, router solicitation, neighbour discovery) and receive (the same, and router advertisements). */
const ND_OUT = '{ mld-listener-query, mld-listener-report, mld-listener-done, mld2-listener-report, nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert }';
const ND_IN = '{ mld-listener-query, mld-listener-report, mld-listener-done, mld2-listener-report, nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect }';

/** The model of `ports` (those with port security). */
export function firewallModel(ports: readonly FirewallPort[]): FirewallModel {
  const out = new Map<string, PortRules>();
  const groups = new Map<string, { six: boolean; ips: Set<string> }>();
  const bridges = new Set<string>();
  for (const p of ports.filter((x) => x.security.enabled)) {
    checkIfname(p.device);
    bridges.add(checkIfname(p.bridge));
    const macs = [checkMac(p.macAddress), ...p.allowedAddressPairs.map((a) => checkMac(a.macAddress))];
    const ips = [...p.fixedIps, ...p.allowedAddressPairs.map((a) => a.ipAddress)].map(addr);
    const ip4 = ips.filter((x) => !v6(x));
    const ip6 = ['fe80::/10', ...ips.filter(v6)];
    // As neutron: no DHCP or DHCPv6 server replies and no router advertisements from ports (only the router's port may send them).
    const spoof = [`ether saddr != ${set([...new Set(macs)])} drop`, 'udp sport 67 drop', 'udp sport 547 drop', 'icmpv6 type nd-router-advert drop'];
    spoof.push(ip4.length > 0 ? `arp saddr ip != ${set(['0.0.0.0', ...ip4])} drop` : 'ether type arp arp saddr ip != 0.0.0.0 drop');
    spoof.push('ip saddr 0.0.0.0 udp sport 68 udp dport 67 return');
    spoof.push(ip4.length > 0 ? `ether type ip ip saddr != ${set(ip4)} drop` : 'ether type ip drop');
    spoof.push(`ether type ip6 ip6 saddr != ${set(['::', ...ip6])} drop`);
    // Neighbour discovery and MLD pass before the conntrack checks (conntrack does not track them), both ways;
    // DHCPv6 client → server out, server → client in (replies go to the link-local address, not back from the multicast one asked).
    const eg = ['ct state established,related return', `meta l4proto ipv6-icmp icmpv6 type ${ND_OUT} return`, 'ct state invalid drop', 'udp sport 68 udp dport 67 return', 'udp sport 546 udp dport 547 return'];
    const ing = ['ct state established,related accept', `meta l4proto ipv6-icmp icmpv6 type ${ND_IN} accept`, 'ct state invalid drop', 'udp sport 67 udp dport 68 accept', 'udp sport 547 udp dport 546 accept'];
    for (const r of p.security.rules) {
      const m = ruleMatch(r, p.security.remoteGroupMembers, setName);
      if (m === null) continue;
      if (r.remoteGroupId !== null) {
        const six = r.ethertype === 'IPv6';
        const name = setName(r.remoteGroupId, six);
        const g = groups.get(name) ?? groups.set(name, { six, ips: new Set() }).get(name)!;
        for (const ip of p.security.remoteGroupMembers[r.remoteGroupId] ?? []) if (v6(ip) === six) g.ips.add(addr(ip));
      }
      if (r.direction === 'egress') eg.push(`${m} return`);
      else ing.push(`${m} accept`);
    }
    eg.push('drop');
    ing.push('drop');
    out.set(p.portId, { index: p.index, device: p.device, addresses: ips, spoof, egress: eg, ingress: ing });
  }
  return { ports: out, groups, bridges };
}

const chainBody = (rules: readonly string[]): string => rules.map((r) => `    ${r}`).join('\n');
const elements = (items: readonly string[]): string => (items.length > 0 ? ` elements = ${set(items)};` : '');
const setDecl = (six: boolean, ips: ReadonlySet<string>): string => `type ${six ? 'ipv6_addr' : 'ipv4_addr'}; flags interval;${elements([...ips])}`;
const omark = (i: number): string => `meta mark set meta mark and 0x0000ffff or ${i * 65536}`;

/** The nft script that replaces both tables with `m` (one transaction). */
export function firewallScript(table: string, m: FirewallModel): string {
  const ports = [...m.ports.values()];
  const lines = [`table bridge ${table} {}`, `delete table bridge ${table}`, `table bridge ${table} {`];
  lines.push(`  map iifmark { type ifname : mark;${elements(ports.map((p) => `${q(p.device)} : ${p.index}`))} }`);
  lines.push(`  map omark { type ifname : verdict;${elements(ports.map((p) => `${q(p.device)} : jump omark_${p.index}`))} }`);
  lines.push(`  map spoof { type ifname : verdict;${elements(ports.map((p) => `${q(p.device)} : jump spoof_${p.index}`))} }`);
  for (const p of ports) lines.push(`  chain omark_${p.index} {\n    ${omark(p.index)}\n  }`, `  chain spoof_${p.index} {\n${chainBody(p.spoof)}\n  }`);
  lines.push('  chain forward {', '    type filter hook forward priority -200; policy accept;', '    meta mark set iifname map @iifmark', '    oifname vmap @omark', '    iifname vmap @spoof', '  }', '}');
  lines.push(`table inet ${table} {}`, `delete table inet ${table}`, `table inet ${table} {`);
  lines.push(`  set bridges { type ifname;${elements([...m.bridges].map(q))} }`);
  for (const [name, g] of m.groups) lines.push(`  set ${name} { ${setDecl(g.six, g.ips)} }`);
  for (const p of ports) lines.push(`  chain egress_${p.index} {\n${chainBody(p.egress)}\n  }`, `  chain ingress_${p.index} {\n${chainBody(p.ingress)}\n  }`);
  lines.push(`  map egress { type mark : verdict;${elements(ports.map((p) => `${p.index} : jump egress_${p.index}`))} }`);
  lines.push(`  map ingress { type mark : verdict;${elements(ports.map((p) => `${p.index * 65536} : jump ingress_${p.index}`))} }`);
  lines.push('  chain forward {', '    type filter hook forward priority 0; policy accept;', '    iifname != @bridges accept', '    meta mark and 0x0000ffff vmap @egress', '    meta mark and 0xffff0000 vmap @ingress', '  }', '}', '');
  return lines.join('\n');
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The nft script that turns tables holding `prev` into `next` (one transaction; '' when equal):
 * only changed ports' chains, map elements and set elements are touched, so a change costs the
 * same with 2 ports or 2,000.
 */
export function firewallDiffScript(table: string, prev: FirewallModel, next: FirewallModel): string {
  const b = `bridge ${table}`;
  const n = `inet ${table}`;
  const out: string[] = [];
  // Sets first (rules may reference new ones), bridges.
  for (const [name, g] of next.groups) {
    const old = prev.groups.get(name);
    if (old === undefined) out.push(`add set ${n} ${name} { ${setDecl(g.six, g.ips)} }`);
    else {
      const gone = [...old.ips].filter((ip) => !g.ips.has(ip));
      const added = [...g.ips].filter((ip) => !old.ips.has(ip));
      if (gone.length > 0) out.push(`delete element ${n} ${name} ${set(gone)}`);
      if (added.length > 0) out.push(`add element ${n} ${name} ${set(added)}`);
    }
  }
  const newBridges = [...next.bridges].filter((x) => !prev.bridges.has(x));
  if (newBridges.length > 0) out.push(`add element ${n} bridges ${set(newBridges.map(q))}`);
  // Removed ports (or re-indexed ones): map elements, then chains.
  for (const [id, p] of prev.ports) {
    const now = next.ports.get(id);
    if (now !== undefined && now.index === p.index && now.device === p.device) continue;
    out.push(`delete element ${b} iifmark { ${q(p.device)} }`, `delete element ${b} omark { ${q(p.device)} }`, `delete element ${b} spoof { ${q(p.device)} }`);
    out.push(`delete element ${n} egress { ${p.index} }`, `delete element ${n} ingress { ${p.index * 65536} }`);
    out.push(`delete chain ${b} omark_${p.index}`, `delete chain ${b} spoof_${p.index}`, `delete chain ${n} egress_${p.index}`, `delete chain ${n} ingress_${p.index}`);
  }
  // New and changed ports.
  for (const [id, p] of next.ports) {
    const old = prev.ports.get(id);
    const fresh = old === undefined || old.index !== p.index || old.device !== p.device;
    const chain = (family: string, name: string, rules: readonly string[], before: readonly string[] | undefined): void => {
      if (fresh) out.push(`add chain ${family} ${name}`);
      else if (before !== undefined && same(before, rules)) return;
      else out.push(`flush chain ${family} ${name}`);
      for (const r of rules) out.push(`add rule ${family} ${name} ${r}`);
    };
    if (fresh) {
      out.push(`add chain ${b} omark_${p.index}`, `add rule ${b} omark_${p.index} ${omark(p.index)}`);
    }
    chain(b, `spoof_${p.index}`, p.spoof, old?.spoof);
    chain(n, `egress_${p.index}`, p.egress, old?.egress);
    chain(n, `ingress_${p.index}`, p.ingress, old?.ingress);
    if (fresh) {
      out.push(`add element ${b} iifmark { ${q(p.device)} : ${p.index} }`, `add element ${b} omark { ${q(p.device)} : jump omark_${p.index} }`, `add element ${b} spoof { ${q(p.device)} : jump spoof_${p.index} }`);
      out.push(`add element ${n} egress { ${p.index} : jump egress_${p.index} }`, `add element ${n} ingress { ${p.index * 65536} : jump ingress_${p.index} }`);
    }
  }
  // Then what nothing references any more.
  const goneBridges = [...prev.bridges].filter((x) => !next.bridges.has(x));
  if (goneBridges.length > 0) out.push(`delete element ${n} bridges ${set(goneBridges.map(q))}`);
  for (const name of prev.groups.keys()) if (!next.groups.has(name)) out.push(`delete set ${n} ${name}`);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Connections the kernel tracks that a firewall change must end: `origSrc`/`origDst` select conntrack entries. */
export type ConntrackFlush = { readonly origSrc: string } | { readonly origDst: string };

const hostAddress = (a: string): string | null => {
  const [ip, len] = a.split('/');
  if (ip === undefined) return null;
  return len === undefined || len === (v6(ip) ? '128' : '32') ? ip : null;
};

/**
 * What `prev` → `next` took away, as conntrack entries to delete: established flows pass the
 * firewall on their conntrack state alone, so without this a removed rule (or a remote group member,
 * or a port) would keep its running connections alive. A port that lost an ingress rule ends the
 * connections made to it; one that lost an egress rule, those it made; an address gone from a
 * remote group, the connections from and to it. Broader than the removed rule, never narrower:
 * flows still allowed are picked up again by their next packet.
 */
export function conntrackFlushes(prev: FirewallModel, next: FirewallModel): ConntrackFlush[] {
  const out = new Map<string, ConntrackFlush>();
  const add = (f: ConntrackFlush): void => void out.set(JSON.stringify(f), f);
  const lost = (before: readonly string[], after: readonly string[] | undefined): boolean => after === undefined || before.some((r) => !after.includes(r));
  for (const [id, p] of prev.ports) {
    const now = next.ports.get(id);
    const hosts = p.addresses.map(hostAddress).filter((a): a is string => a !== null);
    if (lost(p.ingress, now?.ingress)) for (const ip of hosts) add({ origDst: ip });
    if (lost(p.egress, now?.egress)) for (const ip of hosts) add({ origSrc: ip });
  }
  for (const [name, g] of prev.groups) {
    const still = next.groups.get(name)?.ips;
    for (const a of g.ips) {
      if (still?.has(a) === true) continue;
      const ip = hostAddress(a);
      if (ip === null) continue;
      add({ origSrc: ip });
      add({ origDst: ip });
    }
  }
  return [...out.values()];
}

/** The nft script that removes both tables (when nothing is left to filter). */
export function firewallRemoveScript(table: string): string {
  return [`table bridge ${table} {}`, `delete table bridge ${table}`, `table inet ${table} {}`, `delete table inet ${table}`, ''].join('\n');
}
