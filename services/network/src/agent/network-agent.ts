/** neutron-agent: one per host, no database access; serves `neutron-agent.<host>`, heartbeats and resyncs through the plugin RPC. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NetworkBackend } from '@strata/net';
import type { Logger } from '@strata/log';
import { RpcServer, type Transport } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import { PluginRpcClient, type AgentStateReport, type MetadataInstance } from '../server/plugin-rpc.js';
import { AGENT_RPC_VERSION, AGENT_TOPIC } from './agent-rpc.js';
import { AgentManager } from './agent-manager.js';

/** Options of a NetworkAgent. */
export interface NetworkAgentOptions {
  /** This host's name: the agent serves `neutron-agent.<host>`. */
  readonly host: string;
  readonly transport: Transport;
  readonly backend: NetworkBackend;
  readonly logger: Logger;
  readonly tracer?: Tracer;
  /** Heartbeat period. @default 30000 */
  readonly reportIntervalMs?: number;
  /** Timeout of calls to the plugin. @default 60000 */
  readonly rpcTimeoutMs?: number;
  /** Prefix of the RPC topics (tests sharing a broker). @default '' */
  readonly topicPrefix?: string;
  /** Availability zone reported for the DHCP and L3 parts. @default 'nova' */
  readonly availabilityZone?: string;
}

/** A running neutron-agent. */
export class NetworkAgent {
  readonly host: string;
  readonly manager: AgentManager;
  readonly #server: RpcServer;
  readonly #plugin: PluginRpcClient;
  readonly #backend: NetworkBackend;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #az: string;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  #synced = false;
  #reporting: Promise<void> | undefined;
  #refreshing: Promise<void> | undefined;

  private constructor(opts: NetworkAgentOptions) {
    this.host = opts.host;
    this.#backend = opts.backend;
    this.#log = opts.logger.child({ service: 'network', component: 'neutron-agent', host: opts.host });
    this.#plugin = new PluginRpcClient(opts.transport, { timeoutMs: opts.rpcTimeoutMs ?? 60_000, topicPrefix: opts.topicPrefix ?? '' });
    this.manager = new AgentManager({ host: opts.host, backend: opts.backend, plugin: this.#plugin, logger: this.#log, ...(opts.tracer !== undefined ? { tracer: opts.tracer } : {}) });
    this.#server = new RpcServer(opts.transport, { topic: `${opts.topicPrefix ?? ''}${AGENT_TOPIC}`, server: opts.host, endpoints: this.manager, version: AGENT_RPC_VERSION, logger: this.#log });
    this.#intervalMs = opts.reportIntervalMs ?? 30_000;
    this.#az = opts.availabilityZone ?? 'nova';
  }

  /** Build an agent (not yet consuming). */
  static async create(opts: NetworkAgentOptions): Promise<NetworkAgent> {
    return new NetworkAgent(opts);
  }

  /** The agents this process reports: the L2 part, and DHCP and L3 when the backend does them. */
  reports(): AgentStateReport[] {
    const b = this.#backend;
    const conf = { ...b.configurations(), network_types: [...b.capabilities.networkTypes] };
    const out: AgentStateReport[] = [{ agentType: b.agentType, binary: `neutron-${b.name}-agent`, topic: 'N/A', availabilityZone: '', configurations: conf }];
    if (b.capabilities.dhcp) out.push({ agentType: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', availabilityZone: this.#az, configurations: { backend: b.name } });
    if (b.capabilities.routers) out.push({ agentType: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', availabilityZone: this.#az, configurations: { backend: b.name, agent_mode: 'legacy' } });
    return out;
  }

  /**
   * Start consuming, report in, and resync the host in the background (retrying while the server
   * is not reachable). Resolves once the agent listens and its first heartbeat was attempted.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('NetworkAgent already started');
    this.#started = true;
    await this.#server.start();
    await this.#report(true);
    this.#timer = setInterval(() => void this.#report(false), this.#intervalMs);
    this.#timer.unref();
    void this.#resyncLoop();
  }

  /** Resolves when the first resync has been applied. */
  async synced(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#synced) {
      if (Date.now() > deadline) throw new Error('agent did not resync in time');
      await sleep(20);
    }
  }

  async #resyncLoop(): Promise<void> {
    for (let delay = 500; !this.#closed; delay = Math.min(delay * 2, 30_000)) {
      try {
        await this.manager.resync();
        this.#synced = true;
        return;
      } catch (err) {
        if (this.#closed) return;
        this.#log.warn({ err: (err as Error).message, retryMs: delay }, 'resync failed; retrying');
        await sleep(delay);
      }
    }
  }

  #report(start: boolean): Promise<void> {
    if (this.#closed || this.#reporting !== undefined) return this.#reporting ?? Promise.resolve();
    this.#reporting = this.#plugin
      .reportState({ requestId: `req-${randomUUID()}`, roles: ['admin'] }, { host: this.host, start, agents: this.reports() })
      .then(() => this.#refreshTunnels())
      .catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'state report failed'))
      .finally(() => {
        this.#reporting = undefined;
      });
    return this.#reporting;
  }

  /**
   * After a heartbeat, read the tunnel peers again in the background (one read at a time): a
   * `tunnelPeersUpdated` fanout lost while the bus reconnected is caught up within a report interval.
   */
  #refreshTunnels(): void {
    if (!this.#synced || this.#closed || this.#refreshing !== undefined) return;
    this.#refreshing = this.manager.refreshTunnelPeers().finally(() => {
      this.#refreshing = undefined;
    });
  }

  /**
   * The server a metadata request from fixed IP `ip` on a network (or behind a router) comes from,
   * asked of neutron-server (neutron's metadata agent); the backend's metadata relay signs it for nova.
   */
  metadataInstance(q: { networkId?: string; routerId?: string; ip: string }): Promise<MetadataInstance | null> {
    return this.#plugin.getMetadataInstance({ requestId: `req-${randomUUID()}`, roles: ['admin'] }, q);
  }

  /** Send a heartbeat now (tests, and after an admin asks). */
  heartbeat(): Promise<void> {
    return this.#report(false);
  }

  /** Stop heartbeats and consuming; the backend's host wiring stays. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#reporting;
    await this.#refreshing;
    await this.#server.stop();
    await this.#backend.close();
  }
}
