/** Device, namespace and table names the backend derives from ids, and the checks every name passes before it reaches a command. */

/** Linux's interface name limit (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Throws unless `name` is a valid interface name (≤ 15 characters, no shell or path characters). */
export function checkIfname(name: string): string {
  if (!IFNAME.test(name) || name === '.' || name === '..') throw new Error(`invalid interface name ${JSON.stringify(name)} (letters, digits, _ . - only, at most ${IFNAME_MAX} characters)`);
  return name;
}

/** Throws unless `name` is a valid network namespace name. */
export function checkNetns(name: string): string {
  if (!NETNS.test(name)) throw new Error(`invalid namespace name ${JSON.stringify(name)}`);
  return name;
}

/** Throws unless `id` looks like an OpenStack id (it becomes part of names). */
export function checkId(id: string): string {
  if (!ID.test(id)) throw new Error(`invalid id ${JSON.stringify(id)}`);
  return id;
}

/** Throws unless `mac` is a MAC address; returns it lower-cased. */
export function checkMac(mac: string): string {
  if (!MAC.test(mac)) throw new Error(`invalid MAC address ${JSON.stringify(mac)}`);
  return mac.toLowerCase();
}

/** True for a dotted IPv4 address. */
export function isIpv4(ip: string): boolean {
  return IPV4.test(ip);
}

/** Throws unless `ip` is an IPv4 address or IPv4 CIDR. */
export function checkIpv4(ip: string): string {
  const [addr, len, ...rest] = ip.split('/');
  if (addr === undefined || !isIpv4(addr) || rest.length > 0 || (len !== undefined && !/^([0-9]|[12]\d|3[0-2])$/.test(len))) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return ip;
}

/**
 * The canonical (RFC 5952, as `ip` prints it) form of an IPv6 address or CIDR; throws unless `ip`
 * is one. Canonical text lets addresses be compared with what `ip -j addr` reports.
 */
export function checkIpv6(ip: string): string {
  const [addr, len, ...rest] = ip.split('/');
  if (addr === undefined || !/^[0-9A-Fa-f:.]+$/.test(addr) || !addr.includes(':') || rest.length > 0 || (len !== undefined && !/^(\d|[1-9]\d|1[01]\d|12[0-8])$/.test(len))) throw new Error(`invalid IPv6 address ${JSON.stringify(ip)}`);
  let canonical: string;
  try {
    canonical = new URL(`http://[${addr}]`).hostname.slice(1, -1);
  } catch {
    throw new Error(`invalid IPv6 address ${JSON.stringify(ip)}`);
  }
  return len === undefined ? canonical : `${canonical}/${len}`;
}

/** Network address and prefix length of an IPv6 CIDR. */
export function cidr6Parts(cidr: string): { network: string; prefix: number } {
  const [network, len] = checkIpv6(cidr).split('/') as [string, string | undefined];
  return { network, prefix: Number(len ?? 128) };
}

const short = (id: string): string => checkId(id).slice(0, 11);

/** Names as neutron's Linux bridge, DHCP and L3 agents give them. */
export const names = {
  /** The bridge of a network: `brq` + 11 characters of its id. */
  bridge: (networkId: string) => checkIfname(`brq${short(networkId)}`),
  /** The host-side device of a port (tap, or the bridge end of a veth): `tap` + 11 characters of its id. */
  tap: (portId: string) => checkIfname(`tap${short(portId)}`),
  /** The VM end of a veth-plugged port (left in the host namespace for the user to move): `vth` + 11. */
  vethPeer: (portId: string) => checkIfname(`vth${short(portId)}`),
  /** The DHCP port inside `qdhcp-…`. */
  dhcpIf: (portId: string) => checkIfname(`ns-${short(portId)}`),
  /** A router interface inside `qrouter-…`. */
  routerIf: (portId: string) => checkIfname(`qr-${short(portId)}`),
  /** The router's gateway inside `qrouter-…`. */
  gatewayIf: (portId: string) => checkIfname(`qg-${short(portId)}`),
  dhcpNs: (networkId: string) => checkNetns(`qdhcp-${checkId(networkId)}`),
  routerNs: (routerId: string) => checkNetns(`qrouter-${checkId(routerId)}`),
  /** A VLAN subinterface: `<physical>.<vlan>`. */
  vlan: (physical: string, vlanId: number) => checkIfname(`${checkIfname(physical)}.${vlanId}`),
  /** A VXLAN device: `vxlan-<vni>`. */
  vxlan: (vni: number) => checkIfname(`vxlan-${vni}`),
};

/**
 * The host-side MAC of a port's device: the port's MAC with the first octet fe (as libvirt does),
 * so the bridge does not take the guest's address for one of its own and keep its frames.
 */
export function hostSideMac(mac: string): string {
  return `fe${checkMac(mac).slice(2)}`;
}

/** Prefix length and netmask of an IPv4 CIDR. */
export function cidrParts(cidr: string): { network: string; prefix: number; netmask: string } {
  checkIpv4(cidr);
  const [network, len] = cidr.split('/') as [string, string | undefined];
  const prefix = Number(len ?? 32);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network, prefix, netmask: [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.') };
}
