/** LinuxBridgeNetworkBackend: wires a host as neutron's Linux bridge, DHCP and L3 agents do — bridges, taps, dnsmasq, router namespaces, nftables. */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AddressPairSpec, BackendCallOptions, DesiredHostState, DhcpSpec, NetworkBackend, NetworkBackendCapabilities, NetworkSpec, PortSecuritySpec, PortSpec, RouterResult, RouterSpec, TunnelPeerSpec } from '@strata/net';
import { silentLogger, type Logger } from '@strata/log';
import { deleteConntrack, HostCommands, missingTool } from './host-commands.js';
import { OwnedState } from './owned-state.js';
import { deleteBridge, deleteLink, deleteNetns, deviceInPlace, deviceUp, ensureBridge, ensureNetns, ensureVeth, linkExists, netnsExists, syncAddresses, syncFloodEntries, type L2Settings } from './l2.js';
import { conntrackFlushes, firewallDiffScript, firewallModel, firewallRemoveScript, firewallScript, type FirewallModel, type FirewallPort } from './firewall.js';
import { METADATA_IP, dnsmasqConfig, livePid, runDnsmasq, servesDhcp, stopPidFile } from './dhcp.js';
import { enableForwarding, portAddresses, radvdConfig, routerNatScript, runRadvd } from './router.js';
import { MetadataRelay, type MetadataSigning } from './metadata-relay.js';
import { checkIfname, checkIpv4, checkMac, hostSideMac, isIpv4, names } from './names.js';

/** Options of the backend. */
export interface LinuxBridgeOptions {
  /** Where the backend keeps what it owns (state file, dnsmasq files, pid files). */
  readonly stateDir: string;
  /** physnet → physical interface; '' = a bridge without uplink (single host). @default { public: '' } */
  readonly interfaceMappings?: Readonly<Record<string, string>>;
  /** Local VTEP address; '' = VXLAN networks are host-local bridges. @default '' */
  readonly vxlanLocalIp?: string;
  /** nova's metadata API (http://host:port); '' = no metadata proxy. @default '' */
  readonly metadataUrl?: string;
  /**
   * How the relay names guests to nova (neutron's metadata agent): a lookup of the server behind a
   * fixed IP (the agent asks neutron-server) and the shared secret it signs X-Instance-ID with.
   * Unset = requests go on unsigned, with the guest's IP and network (for a nova without a secret).
   */
  readonly metadataSigning?: MetadataSigning;
  readonly logger?: Logger;
}

/** The tools the backend runs. */
export const REQUIRED_TOOLS = ['ip', 'bridge', 'nft', 'dnsmasq', 'sysctl'] as const;

/** Parse `physnet:iface,physnet2:iface2` (iface may be empty). */
export function parseInterfaceMappings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const i = entry.indexOf(':');
    if (i <= 0) throw new Error(`invalid interface mapping ${JSON.stringify(entry)}: expected <physnet>:<interface>`);
    const iface = entry.slice(i + 1).trim();
    if (iface !== '') checkIfname(iface);
    out[entry.slice(0, i).trim()] = iface;
  }
  return out;
}

/** The nft table name (bridge and inet families) of the backend instance keeping its state in `stateDir`. */
export function firewallTableName(stateDir: string): string {
  return `strata_lb_${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}`;
}

/** Why this host cannot run the backend, or undefined when it can. */
export function hostProblem(): string | undefined {
  if (process.platform !== 'linux') return 'the linuxbridge backend needs Linux';
  if (process.getuid?.() !== 0) return 'the linuxbridge backend needs root (it creates bridges, namespaces and nftables rules)';
  const tool = missingTool(REQUIRED_TOOLS);
  if (tool !== undefined) return `the linuxbridge backend needs \`${tool}\` on PATH (install iproute2, nftables, dnsmasq-base, procps)`;
  if (!existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) return 'the linuxbridge backend needs br_netfilter (security groups filter bridged traffic through it)';
  return undefined;
}

/** A plug waiting for the next batch. */
interface PendingPlug {
  readonly port: PortSpec;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** The device commands of one plug and what to do once they ran. */
interface PlugPlan {
  readonly commands: string[][];
  readonly finish: () => Promise<void>;
}

/** Ports for namespaces rather than VMs: any owner that is not compute:*, network:* or empty. */
const wantsVeth = (owner: string): boolean => !owner.startsWith('compute:') && !owner.startsWith('network:') && owner !== '';
const PROXY_SCRIPT = fileURLToPath(new URL('./metadata-proxy.mjs', import.meta.url));

/**
 * The `linuxbridge` backend. One per agent process; every host change goes through one queue so
 * concurrent casts never race on the same device. Ownership: everything it creates is recorded in
 * `<stateDir>/owned.json` before it is created, and the nft tables carry a per-instance name; a
 * reconcile removes only recorded things.
 *
 * Ports: `compute:*` (and unowned) ports get a persistent tap `tap<11>` (QEMU opens it by name);
 * other non-network ports (e.g. `device_owner` = `strata:netns`) get a veth pair `tap<11>` ↔
 * `vth<11>` whose `vth` end carries the port's MAC and is for the user to move into a namespace.
 * `network:*` ports are wired by the DHCP and router parts.
 */
export class LinuxBridgeNetworkBackend implements NetworkBackend {
  readonly name = 'linuxbridge';
  readonly agentType = 'Linux bridge agent';
  readonly capabilities: NetworkBackendCapabilities = Object.freeze({ networkTypes: ['flat', 'vlan', 'vxlan'] as const, dhcp: true, routers: true, securityGroups: true });
  /** The nft table name of this instance (bridge and inet families). */
  readonly table: string;
  readonly #cmd: HostCommands;
  readonly #state: OwnedState;
  readonly #l2: L2Settings;
  readonly #log: Logger;
  readonly #relay: MetadataRelay | undefined;
  readonly #firewall = new Map<string, FirewallPort>();
  #queue: Promise<unknown> = Promise.resolve();
  readonly #pendingPlugs: PendingPlug[] = [];
  #fwRequested = 0;
  #fwApplied = 0;
  #fwRunning: Promise<void> | undefined;
  /** What the nft tables hold now (undefined: unknown or none). */
  #fwModel: FirewallModel | undefined;
  /** True once the tables are known to be absent. */
  #fwCleared = false;
  /** False once `conntrack` was found missing (said once in the log). */
  #conntrack = true;
  /** Addresses last set on a namespace device, so unchanged refreshes skip the command. */
  readonly #addrCache = new Map<string, string>();
  /** Router namespaces set up (forwarding on) by this process. */
  readonly #routersReady = new Set<string>();
  /** Whether `radvd` is installed (undefined: not looked for yet; a missing one is said once in the log). */
  #radvd: boolean | undefined;
  /** VTEP addresses of the other hosts (sorted), flooded to from every VXLAN device. */
  #tunnelPeers: readonly string[] = [];
  /** The peer list last applied to each VXLAN device by this process (comma-joined). */
  readonly #floodApplied = new Map<string, string>();

  private constructor(opts: LinuxBridgeOptions, log: Logger) {
    this.#log = log;
    this.#cmd = new HostCommands(log);
    this.#state = new OwnedState(opts.stateDir);
    this.#l2 = { interfaceMappings: opts.interfaceMappings ?? { public: '' }, vxlanLocalIp: opts.vxlanLocalIp ?? '' };
    if (this.#l2.vxlanLocalIp !== '') checkIpv4(this.#l2.vxlanLocalIp);
    this.table = firewallTableName(opts.stateDir);
    // A unix socket path must fit in sun_path (108 bytes); a deep state dir falls back to the temp dir.
    let socket = join(opts.stateDir, 'metadata.sock');
    if (socket.length > 100) socket = join(tmpdir(), `strata-metadata-${this.table}.sock`);
    this.#relay = opts.metadataUrl !== undefined && opts.metadataUrl !== '' ? new MetadataRelay(socket, opts.metadataUrl, log, opts.metadataSigning) : undefined;
  }

  /** Build one; throws a clear error when the host lacks root, tools or br_netfilter. */
  static async create(opts: LinuxBridgeOptions): Promise<LinuxBridgeNetworkBackend> {
    const problem = hostProblem();
    if (problem !== undefined) throw new Error(problem);
    const log = (opts.logger ?? silentLogger()).child({ component: 'net-linuxbridge' });
    const b = new LinuxBridgeNetworkBackend(opts, log);
    // Bridged IPv4/IPv6 must reach the inet forward hook for security groups.
    for (const k of ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables']) {
      const f = `/proc/sys/net/bridge/${k}`;
      if (readFileSync(f, 'utf8').trim() !== '1') await b.#cmd.run('sysctl', ['-q', '-w', `net.bridge.${k}=1`]);
    }
    return b;
  }

  configurations(): Readonly<Record<string, unknown>> {
    return {
      backend: 'linuxbridge',
      interface_mappings: { ...this.#l2.interfaceMappings },
      tunnel_types: this.#l2.vxlanLocalIp !== '' ? ['vxlan'] : [],
      ...(this.#l2.vxlanLocalIp !== '' ? { tunneling_ip: this.#l2.vxlanLocalIp } : {}),
      devices: Object.keys(this.#state.data.ports).length,
    };
  }

  /** Run host work one task at a time. */
  #serial<T>(options: BackendCallOptions | undefined, fn: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (options?.signal?.aborted === true) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
      return fn();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  ensureNetwork(network: NetworkSpec, options?: BackendCallOptions): Promise<void> {
    return this.#serial(options, async () => {
      await this.#ensureBridge(network);
    });
  }

  /**
   * ensureBridge, then (VXLAN) the device's flood entries when the peers changed since this process
   * last set them there, or the device is new.
   */
  async #ensureBridge(network: NetworkSpec): Promise<string> {
    const before = this.#vxlanOf(network.id);
    if (before !== undefined && !deviceUp(before)) this.#floodApplied.delete(before);
    const bridge = await ensureBridge(this.#cmd, this.#state, this.#l2, network);
    const vxlan = this.#vxlanOf(network.id);
    if (vxlan !== undefined) await this.#syncFlood(vxlan);
    return bridge;
  }

  /** The VXLAN device ensureBridge recorded as the network's uplink, if it has one. */
  #vxlanOf(networkId: string): string | undefined {
    const uplink = this.#state.data.networks[networkId]?.uplink;
    return uplink !== undefined && uplink !== null && /^vxlan-\d+$/.test(uplink) ? uplink : undefined;
  }

  async #syncFlood(device: string): Promise<void> {
    const text = this.#tunnelPeers.join(',');
    if (this.#floodApplied.get(device) === text) return;
    this.#floodApplied.delete(device);
    await syncFloodEntries(this.#cmd, device, this.#tunnelPeers);
    this.#floodApplied.set(device, text);
  }

  /** VXLAN devices of the networks wired here. */
  #vxlanDevices(): string[] {
    return Object.keys(this.#state.data.networks).flatMap((id) => this.#vxlanOf(id) ?? []);
  }

  setTunnelPeers(peers: readonly TunnelPeerSpec[], options?: BackendCallOptions): Promise<void> {
    return this.#serial(options, async () => {
      const own = this.#l2.vxlanLocalIp;
      const ips = new Set<string>();
      for (const p of peers) {
        if (!isIpv4(p.ip)) this.#log.warn({ host: p.host, ip: p.ip }, 'tunnel peer without an IPv4 address skipped');
        else if (p.ip !== own) ips.add(p.ip);
      }
      this.#tunnelPeers = [...ips].sort();
      if (own === '') return;
      for (const device of this.#vxlanDevices()) {
        try {
          await this.#syncFlood(device);
        } catch (err) {
          this.#log.error({ device, err: (err as Error).message }, 'failed to set the flood entries of a VXLAN device');
        }
      }
      this.#log.info({ peers: this.#tunnelPeers.length }, 'tunnel peers set');
    });
  }

  deleteNetwork(networkId: string, options?: BackendCallOptions): Promise<void> {
    return this.#serial(options, () => this.#gcNetwork(networkId));
  }

  /** Remove a network's bridge when nothing of the backend's is left on it. */
  async #gcNetwork(networkId: string): Promise<void> {
    const d = this.#state.data;
    if (Object.values(d.ports).some((p) => p.networkId === networkId)) return;
    if (d.dhcp[networkId] !== undefined) return;
    if (Object.values(d.routers).some((r) => Object.values(r.ports).some((p) => p.networkId === networkId))) return;
    const vxlan = this.#vxlanOf(networkId);
    if (vxlan !== undefined) this.#floodApplied.delete(vxlan);
    await deleteBridge(this.#cmd, this.#state, networkId);
  }

  /**
   * Plugs arriving while others are being wired are taken together: one `ip -batch` for all their
   * devices, then one firewall update — a burst of ports costs a few processes, not several each.
   */
  async plugPort(port: PortSpec, options?: BackendCallOptions): Promise<void> {
    if (options?.signal?.aborted === true) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    await new Promise<void>((resolve, reject) => {
      this.#pendingPlugs.push({ port, resolve, reject });
      if (this.#pendingPlugs.length === 1) this.#serial(undefined, () => this.#plugBatch()).catch((err: unknown) => this.#log.error({ err: (err as Error).message }, 'plug batch failed'));
    });
    await this.#syncFirewall();
  }

  async #plugBatch(): Promise<void> {
    const batch = this.#pendingPlugs.splice(0);
    const planned: Array<{ item: PendingPlug; plan: PlugPlan; error?: Error }> = [];
    for (const item of batch) {
      try {
        planned.push({ item, plan: await this.#planPlug(item.port) });
      } catch (err) {
        item.reject(err as Error);
      }
    }
    const all = planned.flatMap((p) => p.plan.commands);
    if (all.length > 0) {
      const ok = await this.#cmd.ipBatch(all).then(
        () => true,
        () => false,
      );
      // On a failure, one port at a time, so each gets its own error.
      if (!ok) for (const p of planned) if (p.plan.commands.length > 0) await this.#cmd.ipBatch(p.plan.commands).catch((err: Error) => (p.error = err));
    }
    for (const p of planned) {
      if (p.error !== undefined) {
        p.item.reject(p.error);
        continue;
      }
      try {
        await p.plan.finish();
        p.item.resolve();
      } catch (err) {
        p.item.reject(err as Error);
      }
    }
  }

  /** Plug one port now (reconcile). */
  async #plug(port: PortSpec): Promise<void> {
    const plan = await this.#planPlug(port);
    if (plan.commands.length > 0) await this.#cmd.ipBatch(plan.commands);
    await plan.finish();
  }

  /** What plugging a port takes: its bridge (made now), the `ip` commands for its device, and the bookkeeping after them. */
  async #planPlug(port: PortSpec): Promise<PlugPlan> {
    const bridge = await this.#ensureBridge(port.network);
    if (port.deviceOwner.startsWith('network:')) return { commands: [], finish: async () => undefined };
    const device = names.tap(port.id);
    const kind = wantsVeth(port.deviceOwner) ? 'veth' : 'tap';
    let prior = this.#state.data.ports[port.id];
    if (prior !== undefined && prior.kind !== kind) {
      await this.#unplug(port.id);
      prior = undefined;
    }
    const index = prior?.index ?? this.#state.nextPortIndex();
    const exists = await linkExists(this.#cmd, device);
    const created = prior?.created ?? (kind === 'veth' || !exists);
    // Record before creating, so a crash in between still leaves the device owned.
    this.#state.data.ports[port.id] = { networkId: port.network.id, device, kind, index, created };
    this.#state.save();
    const mac = hostSideMac(port.macAddress);
    const mtu = String(port.network.mtu);
    const commands: string[][] = [];
    if (!exists || !deviceInPlace(device, bridge, mac)) {
      if (!exists && kind === 'tap') commands.push(['tuntap', 'add', 'dev', device, 'mode', 'tap']);
      if (!exists && kind === 'veth') {
        const peer = names.vethPeer(port.id);
        commands.push(['link', 'add', device, 'mtu', mtu, 'type', 'veth', 'peer', 'name', peer, 'mtu', mtu], ['link', 'set', 'dev', peer, 'address', checkMac(port.macAddress)]);
      }
      commands.push(['link', 'set', 'dev', device, 'address', mac, 'mtu', mtu, 'master', bridge, 'up']);
    }
    if (!port.adminStateUp) commands.push(['link', 'set', 'dev', device, 'down']);
    return {
      commands,
      finish: async () => {
        if (prior !== undefined && prior.networkId !== port.network.id) await this.#gcNetwork(prior.networkId);
        this.#firewall.set(port.id, {
          portId: port.id,
          index,
          device,
          bridge,
          macAddress: port.macAddress,
          fixedIps: port.fixedIps.map((f) => f.ipAddress),
          allowedAddressPairs: port.allowedAddressPairs,
          security: port.security,
        });
      },
    };
  }

  async unplugPort(portId: string, options?: BackendCallOptions): Promise<void> {
    await this.#serial(options, async () => {
      const owned = this.#state.data.ports[portId];
      await this.#unplug(portId);
      if (owned !== undefined) await this.#gcNetwork(owned.networkId);
    });
    await this.#syncFirewall();
  }

  async #unplug(portId: string): Promise<void> {
    const owned = this.#state.data.ports[portId];
    this.#firewall.delete(portId);
    if (owned === undefined) return;
    if (owned.created) await deleteLink(this.#cmd, owned.device);
    else if (await linkExists(this.#cmd, owned.device)) await this.#cmd.ip(['link', 'set', 'dev', owned.device, 'nomaster'], { allowFail: true });
    delete this.#state.data.ports[portId];
    this.#state.save();
  }

  async updatePortSecurity(portId: string, security: PortSecuritySpec, allowedAddressPairs: readonly AddressPairSpec[], options?: BackendCallOptions): Promise<void> {
    if (options?.signal?.aborted === true) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    const fw = this.#firewall.get(portId);
    if (fw === undefined) return;
    this.#firewall.set(portId, { ...fw, security, allowedAddressPairs });
    await this.#syncFirewall();
  }

  /**
   * Bring the nft tables up to date with the in-memory firewall; calls made while an apply runs
   * share the next one, so a burst of port or group changes costs a few `nft` runs, not one each.
   */
  async #syncFirewall(): Promise<void> {
    const want = ++this.#fwRequested;
    while (this.#fwApplied < want) {
      if (this.#fwRunning !== undefined) {
        await this.#fwRunning.catch(() => undefined);
        continue;
      }
      const gen = this.#fwRequested;
      const run = this.#applyFirewall().then(() => {
        this.#fwApplied = Math.max(this.#fwApplied, gen);
      });
      this.#fwRunning = run.finally(() => {
        this.#fwRunning = undefined;
      });
      await run;
    }
  }

  /**
   * Make the instance's nft tables hold the rules of every plugged port: the difference to what was
   * last applied, or a full replacement the first time and after a failure; the tables are removed
   * when no filtered port is left.
   */
  async #applyFirewall(): Promise<void> {
    const next = firewallModel([...this.#firewall.values()]);
    const prev = this.#fwModel;
    if (next.ports.size === 0) {
      if (prev !== undefined || !this.#fwCleared) await this.#cmd.nft(firewallRemoveScript(this.table));
      this.#fwModel = undefined;
      this.#fwCleared = true;
      if (prev !== undefined) await this.#endConnections(prev, next);
      return;
    }
    this.#fwModel = undefined;
    this.#fwCleared = false;
    if (prev !== undefined) {
      const diff = firewallDiffScript(this.table, prev, next);
      try {
        if (diff !== '') await this.#cmd.nft(diff);
        this.#fwModel = next;
        await this.#endConnections(prev, next);
        return;
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'incremental firewall update failed; replacing the tables');
      }
    }
    await this.#cmd.nft(firewallScript(this.table, next));
    this.#fwModel = next;
    if (prev !== undefined) await this.#endConnections(prev, next);
  }

  /** Delete the conntrack entries of what `prev` → `next` no longer allows (established flows would outlive the rules). */
  async #endConnections(prev: FirewallModel, next: FirewallModel): Promise<void> {
    if (!this.#conntrack) return;
    for (const flush of conntrackFlushes(prev, next)) {
      if (await deleteConntrack(this.#cmd, flush)) continue;
      this.#conntrack = false;
      this.#log.warn({ tool: 'conntrack' }, 'conntrack is not installed (Debian: conntrack): connections a removed security group rule allowed stay open until they end');
      return;
    }
  }

  configureDhcp(spec: DhcpSpec, options?: BackendCallOptions): Promise<void> {
    return this.#serial(options, () => this.#configureDhcp(spec));
  }

  async #configureDhcp(spec: DhcpSpec): Promise<void> {
    const netId = spec.network.id;
    if (spec.dhcpPort === null || !servesDhcp(spec)) {
      await this.#removeDhcp(netId);
      return;
    }
    const bridge = await this.#ensureBridge(spec.network);
    const ns = names.dhcpNs(netId);
    const device = names.tap(spec.dhcpPort.id);
    const inner = names.dhcpIf(spec.dhcpPort.id);
    const prior = this.#state.data.dhcp[netId];
    if (prior !== undefined && prior.device !== device) await deleteLink(this.#cmd, prior.device);
    this.#state.data.dhcp[netId] = { ns, device };
    this.#state.save();
    if (!netnsExists(ns) || !deviceInPlace(device, bridge, hostSideMac(spec.dhcpPort.macAddress))) {
      this.#addrCache.delete(`${ns}/${inner}`);
      await ensureNetns(this.#cmd, ns);
      await ensureVeth(this.#cmd, { device, bridge, mac: hostSideMac(spec.dhcpPort.macAddress), mtu: spec.network.mtu, peer: inner, peerMac: spec.dhcpPort.macAddress, peerNs: ns });
      // The DHCP port's IPv6 addresses are its fixed IPs; router advertisements must not add more.
      await this.#cmd.inNetns(ns, 'sysctl', ['-q', '-w', `net.ipv6.conf.${inner}.accept_ra=0`]);
    }
    const metadata = this.#relay !== undefined;
    const addrs = portAddresses(spec.dhcpPort.fixedIps);
    await this.#syncAddresses(ns, inner, metadata ? [...addrs, `${METADATA_IP}/32`] : addrs);
    const dir = join(this.#state.dir, 'dhcp', netId);
    const dhcpIp = spec.dhcpPort.fixedIps.find((f) => f.ipVersion === 4)?.ipAddress ?? null;
    await runDnsmasq(this.#cmd, ns, dir, dnsmasqConfig(spec, dir, inner, dhcpIp, metadata));
    if (metadata) await this.#startMetadataProxy(ns, netId, dir);
  }

  async #startMetadataProxy(ns: string, networkId: string, dir: string): Promise<void> {
    const relay = this.#relay!;
    await relay.start();
    const pidFile = join(dir, 'metadata.pid');
    if (livePid(pidFile, pidFile) !== undefined) return;
    const { spawn } = await import('node:child_process');
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROXY_SCRIPT, METADATA_IP, '80', relay.socketPath, networkId, pidFile], { detached: true, stdio: 'ignore' });
    child.unref();
    for (let i = 0; i < 100 && livePid(pidFile, pidFile) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    if (livePid(pidFile, pidFile) === undefined) this.#log.warn({ networkId }, 'metadata proxy did not start');
  }

  /** syncAddresses, skipped when this process last set exactly these addresses there. */
  async #syncAddresses(ns: string, device: string, wanted: readonly string[]): Promise<void> {
    const key = `${ns}/${device}`;
    const text = [...wanted].sort().join(',');
    if (this.#addrCache.get(key) === text) return;
    await syncAddresses(this.#cmd, ns, device, wanted);
    this.#addrCache.set(key, text);
  }

  removeDhcp(networkId: string, options?: BackendCallOptions): Promise<void> {
    return this.#serial(options, () => this.#removeDhcp(networkId));
  }

  async #removeDhcp(networkId: string): Promise<void> {
    const owned = this.#state.data.dhcp[networkId];
    if (owned === undefined) return;
    const dir = join(this.#state.dir, 'dhcp', networkId);
    await stopPidFile(join(dir, 'metadata.pid'), join(dir, 'metadata.pid'));
    await stopPidFile(join(dir, 'pid'), join(dir, 'pid'));
    await deleteLink(this.#cmd, owned.device);
    await deleteNetns(this.#cmd, owned.ns);
    for (const k of [...this.#addrCache.keys()]) if (k.startsWith(`${owned.ns}/`)) this.#addrCache.delete(k);
    rmSync(dir, { recursive: true, force: true });
    delete this.#state.data.dhcp[networkId];
    this.#state.save();
    await this.#gcNetwork(networkId);
  }

  ensureRouter(spec: RouterSpec, options?: BackendCallOptions): Promise<RouterResult> {
    return this.#serial(options, () => this.#ensureRouter(spec));
  }

  async #ensureRouter(spec: RouterSpec): Promise<RouterResult> {
    const ns = names.routerNs(spec.id);
    const owned = (this.#state.data.routers[spec.id] ??= { ns, ports: {} });
    const wanted = [...spec.interfaces.map((p) => ({ p, inner: names.routerIf(p.portId) })), ...(spec.gateway !== null ? [{ p: spec.gateway, inner: names.gatewayIf(spec.gateway.portId) }] : [])];
    for (const w of wanted) owned.ports[w.p.portId] = { device: names.tap(w.p.portId), networkId: w.p.network.id };
    this.#state.save();
    if (!netnsExists(ns) || !this.#routersReady.has(ns)) {
      await ensureNetns(this.#cmd, ns);
      await enableForwarding(this.#cmd, ns);
      this.#routersReady.add(ns);
    }
    // Ports no longer in the spec go first (their devices, then their bridges if unused).
    const stale = Object.entries(owned.ports).filter(([id]) => !wanted.some((w) => w.p.portId === id));
    for (const [id, p] of stale) {
      await deleteLink(this.#cmd, p.device);
      delete owned.ports[id];
      this.#state.save();
      await this.#gcNetwork(p.networkId);
    }
    for (const { p, inner } of wanted) {
      const bridge = await this.#ensureBridge(p.network);
      if (!deviceInPlace(names.tap(p.portId), bridge, hostSideMac(p.macAddress))) {
        this.#addrCache.delete(`${ns}/${inner}`);
        await ensureVeth(this.#cmd, { device: names.tap(p.portId), bridge, mac: hostSideMac(p.macAddress), mtu: p.network.mtu, peer: inner, peerMac: p.macAddress, peerNs: ns });
      }
      const addrs = portAddresses(p.fixedIps);
      if (spec.gateway !== null && p.portId === spec.gateway.portId) for (const f of spec.floatingIps) if (!f.floatingIpAddress.includes(':')) addrs.push(`${checkIpv4(f.floatingIpAddress)}/32`);
      await this.#syncAddresses(ns, inner, addrs);
      if (!spec.adminStateUp) await this.#cmd.ip(['-n', ns, 'link', 'set', 'dev', inner, 'down']);
    }
    const gwIp = spec.gateway?.fixedIps.find((f) => f.ipVersion === 4 && f.gatewayIp !== null)?.gatewayIp;
    if (spec.gateway !== null && gwIp !== undefined && gwIp !== null) await this.#cmd.ip(['-n', ns, 'route', 'replace', 'default', 'via', checkIpv4(gwIp), 'dev', names.gatewayIf(spec.gateway.portId)], { allowFail: true });
    else await this.#cmd.ip(['-n', ns, 'route', 'del', 'default'], { allowFail: true });
    for (const r of spec.routes) if (!r.destination.includes(':')) await this.#cmd.ip(['-n', ns, 'route', 'replace', checkIpv4(r.destination), 'via', checkIpv4(r.nexthop)], { allowFail: true });
    await this.#cmd.nft(routerNatScript(spec), ns);
    await this.#syncRadvd(spec.id, ns, radvdConfig(spec));
    const statuses: Record<string, 'ACTIVE' | 'ERROR'> = {};
    for (const f of spec.floatingIps) statuses[f.id] = spec.gateway !== null && !f.floatingIpAddress.includes(':') ? 'ACTIVE' : 'ERROR';
    return { floatingIpStatuses: statuses };
  }

  /** Router advertisements of a router's IPv6 subnets (radvd, as neutron); without radvd installed, a warning once and none. */
  async #syncRadvd(routerId: string, ns: string, config: string | null): Promise<void> {
    const dir = join(this.#state.dir, 'radvd', routerId);
    if (config !== null && this.#radvd === undefined) {
      this.#radvd = missingTool(['radvd']) === undefined;
      if (!this.#radvd) this.#log.warn({ tool: 'radvd' }, 'radvd is not installed (Debian: radvd): routers send no IPv6 router advertisements');
    }
    await runRadvd(this.#cmd, ns, dir, this.#radvd === true ? config : null);
  }

  deleteRouter(routerId: string, options?: BackendCallOptions): Promise<void> {
    return this.#serial(options, () => this.#deleteRouter(routerId));
  }

  async #deleteRouter(routerId: string): Promise<void> {
    const owned = this.#state.data.routers[routerId];
    if (owned === undefined) return;
    await runRadvd(this.#cmd, owned.ns, join(this.#state.dir, 'radvd', routerId), null);
    for (const p of Object.values(owned.ports)) await deleteLink(this.#cmd, p.device);
    await deleteNetns(this.#cmd, owned.ns);
    for (const k of [...this.#addrCache.keys()]) if (k.startsWith(`${owned.ns}/`)) this.#addrCache.delete(k);
    delete this.#state.data.routers[routerId];
    this.#state.save();
    for (const netId of new Set(Object.values(owned.ports).map((p) => p.networkId))) await this.#gcNetwork(netId);
  }

  reconcile(state: DesiredHostState, options?: BackendCallOptions): Promise<void> {
    return this.#serial(options, async () => {
      const d = this.#state.data;
      const portIds = new Set(state.ports.map((p) => p.id));
      const dhcpIds = new Set(state.dhcp.map((s) => s.network.id));
      const routerIds = new Set(state.routers.map((r) => r.id));
      this.#firewall.clear();
      for (const id of Object.keys(d.ports)) if (!portIds.has(id)) await this.#unplug(id);
      for (const id of Object.keys(d.dhcp)) if (!dhcpIds.has(id)) await this.#removeDhcp(id);
      for (const id of Object.keys(d.routers)) if (!routerIds.has(id)) await this.#deleteRouter(id);
      for (const p of state.ports) {
        try {
          await this.#plug(p);
        } catch (err) {
          this.#log.error({ portId: p.id, err: (err as Error).message }, 'reconcile: failed to wire port');
        }
      }
      await this.#syncFirewall();
      for (const s of state.dhcp) await this.#configureDhcp(s).catch((err: unknown) => this.#log.error({ networkId: s.network.id, err: (err as Error).message }, 'reconcile: DHCP failed'));
      for (const r of state.routers) await this.#ensureRouter(r).catch((err: unknown) => this.#log.error({ routerId: r.id, err: (err as Error).message }, 'reconcile: router failed'));
      for (const id of Object.keys(d.networks)) await this.#gcNetwork(id);
      this.#log.info({ ports: state.ports.length, dhcp: state.dhcp.length, routers: state.routers.length }, 'host reconciled');
    });
  }

  /** Stop the metadata relay; the host's wiring (bridges, dnsmasq, namespaces) stays, as with neutron's agents. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#relay?.close();
  }

  /** Remove everything this instance owns (tests and `strata` cleanup); not part of NetworkBackend. */
  teardown(): Promise<void> {
    return this.reconcile({ ports: [], dhcp: [], routers: [] });
  }

  /** Whether a namespace this backend manages exists (diagnostics). */
  static namespaceExists(ns: string): boolean {
    return netnsExists(ns);
  }
}
