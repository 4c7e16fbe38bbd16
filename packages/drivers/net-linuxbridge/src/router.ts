/** Routers: namespace `qrouter-<router>`, interfaces with the subnets' gateway addresses, a gateway with SNAT, and floating IPs (nftables NAT in the namespace). */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FixedIpSpec, RouterSpec } from '@strata/net';
import type { HostCommands } from './host-commands.js';
import { livePid, stopPidFile } from './dhcp.js';
import { checkIpv4, checkIpv6, cidr6Parts, cidrParts, names } from './names.js';

/** The nft table the backend keeps in each router namespace. */
export const ROUTER_TABLE = 'strata_router';

/** The NAT ruleset of a router namespace (replaces the table atomically). */
export function routerNatScript(spec: RouterSpec): string {
  const lines = [`table ip ${ROUTER_TABLE} {}`, `delete table ip ${ROUTER_TABLE}`, `table ip ${ROUTER_TABLE} {`];
  const pre: string[] = [];
  const post: string[] = [];
  const gw = spec.gateway;
  if (gw !== null) {
    const qg = `"${names.gatewayIf(gw.portId)}"`;
    for (const f of spec.floatingIps) {
      if (!f.floatingIpAddress.includes(':') && !f.fixedIpAddress.includes(':')) {
        pre.push(`    ip daddr ${checkIpv4(f.floatingIpAddress)} dnat to ${checkIpv4(f.fixedIpAddress)}`);
        post.push(`    oifname ${qg} ip saddr ${checkIpv4(f.fixedIpAddress)} snat to ${f.floatingIpAddress}`);
      }
    }
    const gwIp = gw.fixedIps.find((f) => f.ipVersion === 4)?.ipAddress;
    const inner = spec.interfaces.flatMap((i) => i.fixedIps.filter((f) => f.ipVersion === 4).map((f) => checkIpv4(f.cidr)));
    if (gw.enableSnat && gwIp !== undefined && inner.length > 0) post.push(`    oifname ${qg} ip saddr { ${inner.join(', ')} } snat to ${checkIpv4(gwIp)}`);
  }
  lines.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;', ...pre, '  }');
  lines.push('  chain output {', '    type nat hook output priority -100; policy accept;', ...pre, '  }');
  lines.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;', ...post, '  }', '}', '');
  return lines.join('\n');
}

/** The addresses (CIDR notation, IPv6 canonical) a router or DHCP port carries. */
export function portAddresses(fixedIps: ReadonlyArray<{ ipAddress: string; cidr: string; ipVersion: 4 | 6 }>): string[] {
  return fixedIps.map((f) => (f.ipVersion === 4 ? `${checkIpv4(f.ipAddress)}/${cidrParts(f.cidr).prefix}` : `${checkIpv6(f.ipAddress)}/${cidr6Parts(f.cidr).prefix}`));
}

/** Turn on IPv4 and IPv6 forwarding in the router namespace. */
export async function enableForwarding(cmd: HostCommands, ns: string): Promise<void> {
  await cmd.inNetns(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
}

/** Router advertisement intervals (seconds), neutron's defaults. */
export const RA_INTERVALS = { min: 30, max: 100 } as const;

/** The subnets of a router interface it advertises: IPv6 ones whose `ipv6_ra_mode` is set (with none set, another router is expected to). */
const advertised = (fixedIps: readonly FixedIpSpec[]): FixedIpSpec[] => fixedIps.filter((f) => f.ipVersion === 6 && (f.ipv6RaMode ?? null) !== null);

/**
 * radvd's configuration for a router, as neutron's L3 agent writes it: one block per interface on
 * an IPv6 subnet with `ipv6_ra_mode`, each prefix on-link, autonomous (A) for slaac and
 * dhcpv6-stateless; the M flag when a subnet there is dhcpv6-stateful, O when one is
 * dhcpv6-stateless. Null when the router advertises nothing.
 */
export function radvdConfig(spec: RouterSpec): string | null {
  const blocks: string[] = [];
  for (const i of spec.interfaces) {
    const subnets = advertised(i.fixedIps);
    if (subnets.length === 0) continue;
    const modes = new Set(subnets.map((f) => f.ipv6RaMode));
    const lines = [`interface ${names.routerIf(i.portId)}`, '{', '  AdvSendAdvert on;', `  MinRtrAdvInterval ${RA_INTERVALS.min};`, `  MaxRtrAdvInterval ${RA_INTERVALS.max};`, `  AdvLinkMTU ${Math.trunc(i.network.mtu)};`];
    if (modes.has('dhcpv6-stateful')) lines.push('  AdvManagedFlag on;');
    if (modes.has('dhcpv6-stateless')) lines.push('  AdvOtherConfigFlag on;');
    for (const cidr of new Set(subnets.map((f) => checkIpv6(f.cidr)))) {
      const auto = subnets.some((f) => checkIpv6(f.cidr) === cidr && f.ipv6RaMode !== 'dhcpv6-stateful');
      lines.push(`  prefix ${cidr}`, '  {', '    AdvOnLink on;', `    AdvAutonomous ${auto ? 'on' : 'off'};`, '  };');
    }
    lines.push('};');
    blocks.push(lines.join('\n'));
  }
  return blocks.length === 0 ? null : blocks.join('\n') + '\n';
}

/**
 * Make radvd in a router namespace send `config` (files in `dir`): started when not running, sent
 * SIGHUP (re-reads its configuration) when the text changed, stopped when `config` is null.
 */
export async function runRadvd(cmd: HostCommands, ns: string, dir: string, config: string | null): Promise<void> {
  const pidFile = join(dir, 'radvd.pid');
  if (config === null) {
    await stopPidFile(pidFile, pidFile);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const confFile = join(dir, 'radvd.conf');
  let previous: string | undefined;
  try {
    previous = readFileSync(confFile, 'utf8');
  } catch {
    // first start
  }
  // radvd refuses a configuration file others may write.
  writeFileSync(confFile, config, { mode: 0o644 });
  const pid = livePid(pidFile, pidFile);
  if (pid !== undefined) {
    if (previous !== config) process.kill(pid, 'SIGHUP');
    return;
  }
  rmSync(pidFile, { force: true });
  await cmd.inNetns(ns, 'radvd', ['-C', confFile, '-p', pidFile, '-m', 'logfile', '-l', join(dir, 'radvd.log')]);
  // radvd daemonizes before it writes its pid file.
  for (let i = 0; i < 100 && livePid(pidFile, pidFile) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  if (livePid(pidFile, pidFile) === undefined) throw new Error(`radvd did not start in ${ns} (see ${join(dir, 'radvd.log')})`);
}
