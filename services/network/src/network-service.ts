/** neutron-server: the database, the in-process ML2 plugin, the Network v2.0 app and the plugin RPC server, with start and stop. */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { createDatabase, migrateToLatest, type Database } from '@strata/db';
import { createApp } from '@strata/http';
import type { Logger } from '@strata/log';
import { RpcServer, type Transport } from '@strata/rpc';
import { Tracer } from '@strata/trace';
import { registerKeystoneAuth, TokenValidator } from '@strata/auth';
import type { NetworkDatabase } from './db/schema.js';
import { networkMigrations } from './db/migrations.js';
import { PluginCore } from './plugin-core.js';
import { defaultSettings, type PluginSettings } from './plugin-settings.js';
import { neutronPolicy } from './policy.js';
import { AgentNotifier } from './server/agent-notifier.js';
import { NovaNotifier } from './server/nova-notifier.js';
import { AgentRpcClient } from './agent/agent-rpc.js';
import { TypeManager } from './server/ml2/type-drivers.js';
import { PluginManager } from './server/plugin-manager.js';
import { PLUGIN_RPC_VERSION, PLUGIN_TOPIC } from './server/plugin-rpc.js';
import { SecurityGroupApi } from './security-group-api.js';
import { PortApi } from './port-api.js';
import { NetworkApi } from './network-api.js';
import { L3Api } from './l3-api.js';
import { AgentApi } from './agent-api.js';
import { QuotaApi } from './quota-api.js';
import { MeteringApi } from './metering-api.js';
import { TagApi } from './tag-api.js';
import type { NetworkApis } from './api/apis.js';
import { isPublicPath, registerDiscoveryRoutes } from './api/discovery-routes.js';
import { registerNetworkRoutes } from './api/network-routes.js';
import { registerPortRoutes } from './api/port-routes.js';
import { registerL3Routes } from './api/l3-routes.js';
import { registerSecurityGroupRoutes } from './api/security-group-routes.js';
import { registerAgentRoutes } from './api/agent-routes.js';
import { registerMiscRoutes } from './api/misc-routes.js';

/** What neutron-server is built from. */
export interface NetworkServiceOptions {
  /** Database URL of the network schema. */
  readonly databaseUrl: string;
  /** Keystone's auth URL (…/v3), to validate tokens and find nova. */
  readonly authUrl: string;
  readonly logger: Logger;
  readonly tracer?: Tracer;
  /** The bus to the agents; without one the server runs alone (no agents, no RPC). */
  readonly transport?: Transport;
  /** Plugin settings (defaults: neutron's). */
  readonly settings?: Partial<PluginSettings>;
  /** Prefix of the RPC topics (tests sharing a broker). @default '' */
  readonly topicPrefix?: string;
  /** This server's name on the plugin topic. @default the host name */
  readonly host?: string;
  /** @default 30000 */
  readonly tokenCacheTtlMs?: number;
  /** @default 10000 */
  readonly tokenTimeoutMs?: number;
  /** @default 5000 */
  readonly novaTimeoutMs?: number;
  /** Test builds: fail any authenticated request that ran no policy check. */
  readonly requireEnforcement?: boolean;
}

/** A running (or ready to run) neutron-server. */
export class NetworkService {
  readonly app: FastifyInstance;
  readonly apis: NetworkApis;
  readonly core: PluginCore;
  readonly tracer: Tracer;
  /** Sends port events to nova; give it credentials with `useTokenProvider`. */
  readonly nova: NovaNotifier;
  readonly #database: Database<NetworkDatabase>;
  readonly #rpc: RpcServer | undefined;
  readonly #notifier: AgentNotifier;
  readonly #log: Logger;
  /** Looks for agents that went dead or came back (tunnel peers). */
  readonly #watch: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;

  private constructor(app: FastifyInstance, apis: NetworkApis, core: PluginCore, database: Database<NetworkDatabase>, rpc: RpcServer | undefined, notifier: AgentNotifier, nova: NovaNotifier, log: Logger) {
    this.app = app;
    this.apis = apis;
    this.core = core;
    this.tracer = apis.tracer;
    this.nova = nova;
    this.#database = database;
    this.#rpc = rpc;
    this.#notifier = notifier;
    this.#log = log;
    if (rpc !== undefined) {
      this.#watch = setInterval(() => void apis.agents.checkTunnelPeers(), Math.max(250, core.settings.agentDownTimeMs / 2));
      this.#watch.unref();
    }
  }

  /** Open the database, apply migrations, build the plugin and the app, and start the plugin RPC server (not yet listening on HTTP). */
  static async create(opts: NetworkServiceOptions): Promise<NetworkService> {
    const log = opts.logger.child({ service: 'network', component: 'neutron-server' });
    const database = createDatabase<NetworkDatabase>(opts.databaseUrl);
    try {
      await migrateToLatest(database.db, networkMigrations);
    } catch (err) {
      await database.close();
      throw err;
    }
    const tracer = opts.tracer ?? new Tracer();
    const settings = defaultSettings(opts.settings);
    const notifier = new AgentNotifier(opts.transport === undefined ? undefined : new AgentRpcClient(opts.transport, { topicPrefix: opts.topicPrefix ?? '' }), log);
    const nova = new NovaNotifier({ authUrl: opts.authUrl, logger: log, timeoutMs: opts.novaTimeoutMs ?? 5000 });
    const core = new PluginCore({ database, settings, logger: log, tracer, notifier, nova });
    const groups = new SecurityGroupApi(core);
    const agents = new AgentApi(core);
    const ports = new PortApi(core, groups);
    agents.usePorts(ports);
    const networks = new NetworkApi(core, new TypeManager(settings), agents);
    const l3 = new L3Api(core, ports, agents);
    const tags = new TagApi(core, {
      networks: (ctx, id) => networks.get(ctx, id),
      subnets: (ctx, id) => networks.getSubnet(ctx, id),
      ports: (ctx, id) => ports.get(ctx, id),
      routers: (ctx, id) => l3.get(ctx, id),
      floatingips: (ctx, id) => l3.getFloatingIp(ctx, id),
      'security-groups': (ctx, id) => groups.get(ctx, id),
      subnetpools: (ctx, id) => networks.getPool(ctx, id),
    });
    const apis: NetworkApis = { networks, ports, l3, groups, agents, quotas: new QuotaApi(core), metering: new MeteringApi(core), tags, tracer };
    const app = createApp({ service: 'network', dialect: 'network', logger: opts.logger });
    registerKeystoneAuth(app, {
      validator: new TokenValidator({ authUrl: opts.authUrl, cacheTtlMs: opts.tokenCacheTtlMs ?? 30_000, timeoutMs: opts.tokenTimeoutMs ?? 10_000 }),
      policy: neutronPolicy,
      authUrl: opts.authUrl,
      isPublic: (r) => isPublicPath(r.url),
      trace: { tracer, component: 'neutron-server', askStep: 29 },
      ...(opts.requireEnforcement === true ? { requireEnforcement: true } : {}),
    });
    registerDiscoveryRoutes(app);
    registerNetworkRoutes(app, apis);
    registerPortRoutes(app, apis);
    registerL3Routes(app, apis);
    registerSecurityGroupRoutes(app, apis);
    registerAgentRoutes(app, apis);
    registerMiscRoutes(app, apis);
    let rpc: RpcServer | undefined;
    if (opts.transport !== undefined) {
      const endpoints = new PluginManager(core, agents, l3, tracer, log);
      rpc = new RpcServer(opts.transport, { topic: `${opts.topicPrefix ?? ''}${PLUGIN_TOPIC}`, server: (opts.host ?? hostname()).replace(/[^A-Za-z0-9_.-]/g, '-'), endpoints, version: PLUGIN_RPC_VERSION, logger: log });
      try {
        await rpc.start();
      } catch (err) {
        await app.close();
        await database.close();
        throw err;
      }
    }
    return new NetworkService(app, apis, core, database, rpc, notifier, nova, log);
  }

  /** Listen on host:port; resolves to the base URL. */
  async listen(host: string, port: number): Promise<string> {
    await this.app.listen({ host, port });
    const addr = this.app.server.address();
    const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    this.#log.info({ url }, 'network API listening');
    return url;
  }

  /** Stop HTTP and RPC, flush agent notifications, close the database. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#watch);
      await this.app.close();
      await this.#rpc?.stop();
      await this.#notifier.close();
      await this.#database.close();
    })();
    return this.#closed;
  }
}
