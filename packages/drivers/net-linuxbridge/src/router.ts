/** Routers: namespace `qrouter-<router>`, interfaces with the subnets' gateway addresses, a gateway with SNAT, and floating IPs (nftables NAT in the namespace). */
import type { RouterSpec } from '@strata/net';
import type { HostCommands } from './host-commands.js';
import { checkIpv4, cidrParts, names } from './names.js';

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

/** The IPv4 addresses (CIDR notation) a router port carries. */
export function portAddresses(fixedIps: ReadonlyArray<{ ipAddress: string; cidr: string; ipVersion: 4 | 6 }>): string[] {
  return fixedIps.filter((f) => f.ipVersion === 4).map((f) => `${checkIpv4(f.ipAddress)}/${cidrParts(f.cidr).prefix}`);
}

/** Turn on forwarding in the router namespace. */
export async function enableForwarding(cmd: HostCommands, ns: string): Promise<void> {
  await cmd.inNetns(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
}
