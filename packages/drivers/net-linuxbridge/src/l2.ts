/** Bridges, their uplinks (physical interface, VLAN subinterface, VXLAN device), taps and veth pairs. */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { NetworkSpec } from '@strata/net';
import type { HostCommands } from './host-commands.js';
import { checkIfname, checkIpv4, checkMac, checkNetns, isIpv4, names } from './names.js';
import type { OwnedState } from './owned-state.js';

/** Host settings of the L2 side. */
export interface L2Settings {
  /** physnet → interface ('' = a bridge with no uplink, local to this host). */
  readonly interfaceMappings: Readonly<Record<string, string>>;
  /** Local address of VXLAN devices; '' = VXLAN networks are host-local bridges (single host). */
  readonly vxlanLocalIp: string;
}

/** True when the interface exists (in the host namespace, or in `ns`). */
export async function linkExists(cmd: HostCommands, name: string, ns?: string): Promise<boolean> {
  if (ns === undefined) return existsSync(`/sys/class/net/${checkIfname(name)}`);
  return (await cmd.ip(['-n', checkNetns(ns), 'link', 'show', 'dev', checkIfname(name)], { allowFail: true })).ok;
}

/** The bridge a device is enslaved to (host namespace), or undefined. */
export function masterOf(device: string): string | undefined {
  try {
    return basename(readlinkSync(`/sys/class/net/${checkIfname(device)}/master`));
  } catch {
    return undefined;
  }
}

/** True when a host-namespace device exists and is administratively up. */
export function deviceUp(device: string): boolean {
  try {
    return (Number(readFileSync(`/sys/class/net/${checkIfname(device)}/flags`, 'utf8').trim()) & 1) === 1;
  } catch {
    return false;
  }
}

/** True when a host-namespace device already is up, on `bridge`, with `mac` — nothing to do. */
export function deviceInPlace(device: string, bridge: string, mac: string): boolean {
  try {
    const dir = `/sys/class/net/${checkIfname(device)}`;
    const flags = Number(readFileSync(`${dir}/flags`, 'utf8').trim());
    return (flags & 1) === 1 && masterOf(device) === bridge && readFileSync(`${dir}/address`, 'utf8').trim() === mac.toLowerCase();
  } catch {
    return false;
  }
}

/** True when the namespace exists. */
export function netnsExists(ns: string): boolean {
  return existsSync(`/run/netns/${checkNetns(ns)}`);
}

/** Create the namespace (with lo up) unless it exists. */
export async function ensureNetns(cmd: HostCommands, ns: string): Promise<void> {
  if (!netnsExists(ns)) await cmd.ip(['netns', 'add', checkNetns(ns)]);
  await cmd.ip(['-n', ns, 'link', 'set', 'lo', 'up']);
}

/** Delete the namespace if it exists (its devices go with it). */
export async function deleteNetns(cmd: HostCommands, ns: string): Promise<void> {
  if (netnsExists(ns)) await cmd.ip(['netns', 'delete', checkNetns(ns)], { allowFail: true });
}

/** Make sure the network's bridge exists, is up and has its uplink. */
export async function ensureBridge(cmd: HostCommands, state: OwnedState, settings: L2Settings, network: NetworkSpec): Promise<string> {
  const bridge = names.bridge(network.id);
  const seg = network.segment;
  let uplink: string | null = null;
  let create = false;
  if (seg.networkType === 'flat' || seg.networkType === 'vlan') {
    const phys = seg.physicalNetwork === null ? undefined : settings.interfaceMappings[seg.physicalNetwork];
    if (phys === undefined) throw new Error(`physical network ${JSON.stringify(seg.physicalNetwork)} of network ${network.id} is not in [network] physical_interface_mappings`);
    if (phys !== '') {
      if (seg.networkType === 'flat') uplink = checkIfname(phys);
      else {
        uplink = names.vlan(phys, seg.segmentationId ?? 0);
        create = true;
      }
    }
  } else if (settings.vxlanLocalIp !== '' && seg.segmentationId !== null) {
    uplink = names.vxlan(seg.segmentationId);
    create = true;
  }
  const prior = state.data.networks[network.id];
  // Fast path: recorded with the same uplink, bridge up, uplink (if any) on it.
  if (prior !== undefined && prior.uplink === uplink && deviceUp(bridge) && (uplink === null || masterOf(uplink) === bridge)) return bridge;
  state.data.networks[network.id] = { bridge, uplink, uplinkCreated: create || (prior?.uplinkCreated ?? false) };
  state.save();
  if (!(await linkExists(cmd, bridge))) {
    await cmd.ip(['link', 'add', 'name', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
  }
  await cmd.ip(['link', 'set', 'dev', bridge, 'up']);
  if (uplink !== null) {
    if (!(await linkExists(cmd, uplink))) {
      if (seg.networkType === 'vlan') {
        await cmd.ip(['link', 'add', 'link', checkIfname(settings.interfaceMappings[seg.physicalNetwork!]!), 'name', uplink, 'type', 'vlan', 'id', String(seg.segmentationId)]);
      } else if (seg.networkType === 'vxlan') {
        // Learning on: unicast follows the MACs seen behind each peer; the flood entries (syncFloodEntries) carry the rest.
        await cmd.ip(['link', 'add', uplink, 'type', 'vxlan', 'id', String(seg.segmentationId), 'local', checkIpv4(settings.vxlanLocalIp), 'dstport', '4789', 'learning']);
      } else throw new Error(`physical interface ${uplink} of network ${network.id} does not exist`);
    }
    await cmd.ip(['link', 'set', 'dev', uplink, 'master', bridge, 'up']);
  }
  return bridge;
}

/** Remove the network's bridge and the uplink the backend made (a physical interface is only detached). */
export async function deleteBridge(cmd: HostCommands, state: OwnedState, networkId: string): Promise<void> {
  const owned = state.data.networks[networkId];
  if (owned === undefined) return;
  if (owned.uplink !== null && (await linkExists(cmd, owned.uplink))) {
    if (owned.uplinkCreated) await cmd.ip(['link', 'delete', 'dev', owned.uplink], { allowFail: true });
    else await cmd.ip(['link', 'set', 'dev', owned.uplink, 'nomaster'], { allowFail: true });
  }
  if (await linkExists(cmd, owned.bridge)) await cmd.ip(['link', 'delete', 'dev', owned.bridge, 'type', 'bridge'], { allowFail: true });
  delete state.data.networks[networkId];
  state.save();
}

/** The MAC of a VXLAN device's flood entries (broadcast, unknown unicast, multicast). */
export const FLOOD_MAC = '00:00:00:00:00:00';

/** One forwarding entry of a VXLAN device that sends to a remote address. */
export interface VxlanFdbEntry {
  readonly mac: string;
  readonly dst: string;
}

/** The entries of a VXLAN device that point at a remote address (its own, not the bridge's). */
export async function vxlanRemoteEntries(cmd: HostCommands, device: string): Promise<VxlanFdbEntry[]> {
  const r = await cmd.run('bridge', ['-j', 'fdb', 'show', 'dev', checkIfname(device)]);
  const parsed = JSON.parse(r.stdout || '[]') as Array<{ mac?: string; dst?: string; master?: string }>;
  return parsed.flatMap((e) => (e.mac !== undefined && e.dst !== undefined && e.master === undefined ? [{ mac: e.mac.toLowerCase(), dst: e.dst }] : []));
}

/**
 * Head-end replication, as neutron's l2population: one all-zero entry per peer, so a VXLAN device
 * floods to exactly `peers`; entries it learned (or was given) behind any other address go too,
 * so nothing is sent to a host that left. `learning` is switched on for devices made before.
 */
export async function syncFloodEntries(cmd: HostCommands, device: string, peers: readonly string[]): Promise<void> {
  const dev = checkIfname(device);
  const want = new Set(peers);
  for (const p of want) if (!isIpv4(p)) throw new Error(`invalid tunnel peer address ${JSON.stringify(p)}`);
  await cmd.ip(['link', 'set', 'dev', dev, 'type', 'vxlan', 'learning'], { allowFail: true });
  const have = await vxlanRemoteEntries(cmd, dev);
  const flooding = new Set(have.filter((e) => e.mac === FLOOD_MAC).map((e) => e.dst));
  for (const ip of want) if (!flooding.has(ip)) await cmd.run('bridge', ['fdb', 'append', FLOOD_MAC, 'dev', dev, 'dst', ip]);
  for (const e of have) if (!want.has(e.dst) && isIpv4(e.dst)) await cmd.run('bridge', ['fdb', 'del', checkMac(e.mac), 'dev', dev, 'dst', checkIpv4(e.dst)], { allowFail: true });
}

/** Settings of a device end the backend plugs into a bridge. */
export interface PlugSettings {
  readonly device: string;
  readonly bridge: string;
  readonly mac: string;
  readonly mtu: number;
}

/**
 * Make sure a veth pair exists with `device` on the bridge and `peer` — in `peerNs` when given,
 * else in the host namespace — carrying the port's MAC.
 */
export async function ensureVeth(cmd: HostCommands, s: PlugSettings & { readonly peer: string; readonly peerMac: string; readonly peerNs?: string }): Promise<void> {
  const batch: string[][] = [];
  if (!(await linkExists(cmd, s.device))) {
    batch.push(['link', 'add', checkIfname(s.device), 'mtu', String(s.mtu), 'type', 'veth', 'peer', 'name', checkIfname(s.peer), 'mtu', String(s.mtu), ...(s.peerNs !== undefined ? ['netns', checkNetns(s.peerNs)] : [])]);
    if (s.peerNs === undefined) batch.push(['link', 'set', 'dev', s.peer, 'address', checkMac(s.peerMac)]);
  }
  batch.push(['link', 'set', 'dev', checkIfname(s.device), 'address', checkMac(s.mac), 'mtu', String(s.mtu), 'master', checkIfname(s.bridge), 'up']);
  await cmd.ipBatch(batch);
  if (s.peerNs !== undefined) await cmd.ip(['-n', s.peerNs, 'link', 'set', 'dev', s.peer, 'address', checkMac(s.peerMac), 'mtu', String(s.mtu), 'up']);
}

/** Delete a device if it exists (a veth takes its peer with it). */
export async function deleteLink(cmd: HostCommands, device: string): Promise<void> {
  if (await linkExists(cmd, device)) await cmd.ip(['link', 'delete', 'dev', checkIfname(device)], { allowFail: true });
}

/** The IPv4 and global IPv6 addresses (with prefix) on a device in a namespace; link-local and autoconfigured IPv6 addresses are the kernel's and left out. */
export async function addressesOf(cmd: HostCommands, ns: string, device: string): Promise<string[]> {
  const r = await cmd.ip(['-j', '-n', checkNetns(ns), 'addr', 'show', 'dev', checkIfname(device)], { allowFail: true });
  if (!r.ok) return [];
  const parsed = JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ family: string; local: string; prefixlen: number; scope?: string; dynamic?: boolean }> }>;
  const ours = (a: { family: string; scope?: string; dynamic?: boolean }): boolean => a.family === 'inet' || (a.family === 'inet6' && a.scope === 'global' && a.dynamic !== true);
  return parsed.flatMap((l) => (l.addr_info ?? []).filter(ours).map((a) => `${a.local}/${a.prefixlen}`));
}

/** Make a device in a namespace carry exactly `wanted` IPv4 and global IPv6 addresses (CIDR notation, IPv6 in canonical form); IPv6 ones skip duplicate address detection: they are the port's by allocation. */
export async function syncAddresses(cmd: HostCommands, ns: string, device: string, wanted: readonly string[]): Promise<void> {
  const have = await addressesOf(cmd, ns, device);
  for (const a of have) if (!wanted.includes(a)) await cmd.ip(['-n', ns, 'addr', 'del', a, 'dev', device], { allowFail: true });
  // IPv6: `replace` also turns an address the kernel autoconfigured (same EUI-64) into a permanent one.
  for (const a of wanted) if (!have.includes(a)) await cmd.ip(['-n', ns, 'addr', ...(a.includes(':') ? ['replace', a, 'dev', device, 'nodad'] : ['add', a, 'dev', device])]);
}
