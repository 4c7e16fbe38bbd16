/** DHCP of one network: namespace `qdhcp-<network>`, a veth onto the bridge, and dnsmasq serving the network's ports only. */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DhcpSpec, DhcpSubnetSpec } from '@strata/net';
import type { HostCommands } from './host-commands.js';
import { checkIpv4, checkIpv6, checkMac, cidr6Parts, cidrParts, isIpv4 } from './names.js';

/** The metadata address served in DHCP namespaces. */
export const METADATA_IP = '169.254.169.254';

const OPT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const OPT_VALUE = /^[^\n\r,]{0,255}$/;
const HOSTNAME = /^[A-Za-z0-9-]{1,63}$/;

/** The dnsmasq files and arguments for a spec. */
export interface DnsmasqConfig {
  readonly hosts: string;
  readonly opts: string;
  readonly args: string[];
}

/**
 * What dnsmasq does for an IPv6 subnet, as neutron's DHCP agent: hand out the ports' addresses
 * (dhcpv6-stateful, or no mode set at all — neutron's behaviour before the modes existed), only
 * options such as DNS servers (dhcpv6-stateless), or nothing (slaac: addresses come from router
 * advertisements alone).
 */
export function dhcpv6Service(s: DhcpSubnetSpec): 'addresses' | 'options' | null {
  if (s.ipVersion !== 6 || !s.enableDhcp) return null;
  const mode = s.ipv6AddressMode ?? null;
  if (mode === 'dhcpv6-stateful' || (mode === null && (s.ipv6RaMode ?? null) === null)) return 'addresses';
  return mode === 'dhcpv6-stateless' ? 'options' : null;
}

/** True when dnsmasq has something to serve on the network. */
export function servesDhcp(spec: DhcpSpec): boolean {
  return spec.subnets.some((s) => (s.ipVersion === 4 ? s.enableDhcp : dhcpv6Service(s) !== null));
}

/** Files and arguments of dnsmasq for one network: IPv4 subnets with DHCP enabled, IPv6 subnets DHCPv6 serves (see dhcpv6Service). */
export function dnsmasqConfig(spec: DhcpSpec, dir: string, device: string, dhcpIp: string | null, metadata: boolean): DnsmasqConfig {
  const subnets = spec.subnets.filter((s) => s.enableDhcp && s.ipVersion === 4);
  const subnets6 = spec.subnets.filter((s) => dhcpv6Service(s) !== null);
  const args = [
    '--no-hosts',
    '--no-resolv',
    '--conf-file=/dev/null',
    '--port=0',
    '--user=root',
    '--group=root',
    '--leasefile-ro',
    '--dhcp-authoritative',
    '--bind-interfaces',
    `--interface=${device}`,
    '--except-interface=lo',
    `--pid-file=${join(dir, 'pid')}`,
    `--dhcp-hostsfile=${join(dir, 'host')}`,
    `--dhcp-optsfile=${join(dir, 'opts')}`,
  ];
  const opts: string[] = [];
  subnets.forEach((s, i) => {
    const { network, netmask } = cidrParts(s.cidr);
    args.push(`--dhcp-range=set:s${i},${network},static,${netmask},86400s`);
    const routes: string[] = [];
    if (metadata && dhcpIp !== null && isIpv4(dhcpIp)) routes.push(`${METADATA_IP}/32`, dhcpIp);
    for (const r of s.hostRoutes) if (!r.destination.includes(':')) routes.push(checkIpv4(r.destination), checkIpv4(r.nexthop));
    if (s.gatewayIp !== null) {
      opts.push(`tag:s${i},option:router,${checkIpv4(s.gatewayIp)}`);
      routes.push('0.0.0.0/0', s.gatewayIp);
    } else opts.push(`tag:s${i},option:router`);
    if (routes.length > 0) opts.push(`tag:s${i},option:classless-static-route,${routes.join(',')}`);
    const dns = s.dnsNameservers.filter(isIpv4);
    if (dns.length > 0) opts.push(`tag:s${i},option:dns-server,${dns.join(',')}`);
    opts.push(`tag:s${i},option:mtu,${spec.network.mtu}`);
  });
  // IPv6: a static range per subnet (the prefix length in the netmask's place); tags go on from the IPv4 ones.
  subnets6.forEach((s, j) => {
    const tag = `s${subnets.length + j}`;
    const { network, prefix } = cidr6Parts(s.cidr);
    args.push(`--dhcp-range=set:${tag},${network},static,${prefix},86400s`);
    const dns = s.dnsNameservers.filter((d) => d.includes(':')).map((d) => `[${checkIpv6(d)}]`);
    if (dns.length > 0) opts.push(`tag:${tag},option6:dns-server,${dns.join(',')}`);
  });
  const hosts: string[] = [];
  for (const h of spec.hosts) {
    const v4 = subnets.some((s) => s.id === h.subnetId) && isIpv4(h.ipAddress);
    const v6 = subnets6.some((s) => s.id === h.subnetId && dhcpv6Service(s) === 'addresses') && h.ipAddress.includes(':');
    if (!v4 && !v6) continue;
    if (!HOSTNAME.test(h.hostname)) throw new Error(`invalid DHCP host name ${JSON.stringify(h.hostname)}`);
    const extra = h.extraDhcpOpts.filter((o) => o.ipVersion === (v4 ? 4 : 6));
    const hostTag = extra.length > 0 ? `set:p${h.portId.replace(/[^A-Za-z0-9]/g, '').slice(0, 20)},` : '';
    // dnsmasq matches DHCPv6 clients by MAC too (it learns it from the link); IPv6 addresses go in brackets.
    hosts.push(`${checkMac(h.macAddress)},${hostTag}${h.hostname},${v4 ? h.ipAddress : `[${checkIpv6(h.ipAddress)}]`}`);
    for (const o of extra) {
      if (!OPT_NAME.test(o.optName) || !OPT_VALUE.test(o.optValue)) throw new Error(`invalid extra DHCP option ${JSON.stringify(o.optName)}`);
      const name = v4 && /^\d+$/.test(o.optName) ? o.optName : `${v4 ? 'option' : 'option6'}:${o.optName}`;
      opts.push(`tag:${hostTag.slice(4, -1)},${name},${o.optValue}`);
    }
  }
  return { hosts: hosts.join('\n') + '\n', opts: opts.join('\n') + '\n', args };
}

/** A digest of the arguments: dnsmasq is restarted when they change, signalled when only the files do. */
export function argsDigest(args: readonly string[]): string {
  return createHash('sha256').update(args.join('\0')).digest('hex').slice(0, 16);
}

/** The pid in a pid file when that process is alive and is the dnsmasq (or node proxy) started with `marker` in its command line. */
export function livePid(pidFile: string, marker: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stop a process found by its pid file (SIGTERM, then SIGKILL), and remove the pid file. */
export async function stopPidFile(pidFile: string, marker: string): Promise<void> {
  const pid = livePid(pidFile, marker);
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 50 && livePid(pidFile, marker) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    if (livePid(pidFile, marker) !== undefined) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

/** Write dnsmasq's files and start it, or signal it (SIGHUP re-reads the host and option files). */
export async function runDnsmasq(cmd: HostCommands, ns: string, dir: string, config: DnsmasqConfig): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'host'), config.hosts);
  writeFileSync(join(dir, 'opts'), config.opts);
  const pidFile = join(dir, 'pid');
  const digestFile = join(dir, 'args');
  const digest = argsDigest(config.args);
  let previous = '';
  try {
    previous = readFileSync(digestFile, 'utf8');
  } catch {
    // first start
  }
  const pid = livePid(pidFile, pidFile);
  if (pid !== undefined && previous === digest) {
    process.kill(pid, 'SIGHUP');
    return;
  }
  await stopPidFile(pidFile, pidFile);
  writeFileSync(digestFile, digest);
  // dnsmasq daemonizes: `ip netns exec` returns once it is up and has written its pid file.
  await cmd.inNetns(ns, 'dnsmasq', config.args);
}
