/**
 * The nova processes of one Node process: nova-api (HTTP), nova-scheduler, nova-conductor and
 * nova-compute for one or more hosts, over one bus and one database, with start and stop.
 */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { registerKeystoneAuth, TokenValidator } from '@strata/auth';
import { createDatabase, migrateToLatest, type Database } from '@strata/db';
import { createApp } from '@strata/http';
import type { Logger } from '@strata/log';
import { createTransport, RpcClient, RpcServer, type RuntimeTransport } from '@strata/rpc';
import { Tracer } from '@strata/trace';
import type { ComputeDatabase } from './db/schema.js';
import { computeMigrations } from './db/migrations.js';
import { computePolicy } from './policy.js';
import { ComputeApi } from './compute-api.js';
import type { QuotaLimits } from './objects/quota.js';
import { InstanceStore } from './objects/instance.js';
import { InstanceActionStore } from './objects/instance-action.js';
import { QuotaStore } from './objects/quota.js';
import { ServiceStore } from './objects/service-record.js';
import { ServerGroupStore } from './objects/server-group.js';
import { VolumeAttachmentStore } from './objects/volume-attachment.js';
import { AggregateStore } from './objects/aggregate.js';
import { SchedulerManager } from './scheduler/scheduler-manager.js';
import { ConductorManager } from './conductor/conductor-manager.js';
import { ComputeRpcClient } from './agent/compute-rpc.js';
import { ComputeHost, computeHostDeps, type ComputeHostDeps, type ComputeHostSettings } from './agent/compute-host.js';
import type { Hypervisor } from './agent/hypervisor.js';
import { InMemoryHypervisor } from './agent/in-memory-hypervisor.js';
import { negotiateVersion } from './api/microversion.js';
import { isVersionPath, registerVersionRoutes } from './api/versions-routes.js';
import { registerServerRoutes } from './api/servers-routes.js';
import { registerServerActionRoutes } from './api/server-actions-routes.js';
import { registerFlavorRoutes } from './api/flavors-routes.js';
import { registerKeypairRoutes } from './api/keypairs-routes.js';
import { registerLimitsQuotaRoutes } from './api/limits-quota-routes.js';
import { registerOsAdminRoutes } from './api/os-admin-routes.js';
import { registerServerResourceRoutes } from './api/server-resources-routes.js';
import { registerOsMiscRoutes } from './api/os-misc-routes.js';
import { registerImageProxyRoutes } from './api/images-proxy-routes.js';
import { registerNetworkProxyRoutes } from './api/network-proxy-routes.js';
import { registerVolumeProxyRoutes } from './api/volume-proxy-routes.js';
import { registerFloatingIpProxyRoutes } from './api/floating-ip-proxy-routes.js';
import { createMetadataApp } from './metadata/metadata-server.js';
import { ConsoleService, registerRemoteConsoleRoutes } from './console/remote-consoles.js';
import { NoVncProxy } from './console/novnc-proxy.js';

/** The [compute] options the service uses, compiled (durations in ms). */
export interface ComputeSettings extends ComputeHostSettings {
  readonly serviceDownTimeMs: number;
  readonly quotas: QuotaLimits;
  readonly fakeResources: { readonly vcpus: number; readonly memoryMb: number; readonly localGb: number };
}

/** What the compute service is built from. */
export interface ComputeServiceOptions {
  readonly databaseUrl: string;
  /** Keystone's auth URL (…/v3). */
  readonly authUrl: string;
  readonly transportUrl: string;
  readonly logger: Logger;
  readonly tracer?: Tracer;
  readonly settings: ComputeSettings;
  /** Compute hosts to run in this process (each its own service record and topic). */
  readonly computeHosts: ReadonlyArray<{ readonly host: string; readonly hypervisor?: Hypervisor }>;
  /** Name the scheduler and conductor register under. @default os.hostname() */
  readonly controllerHost?: string;
  /** Directory for per-host image caches; null keeps no image data. */
  readonly stateDir: string | null;
  readonly tokenCacheTtlMs?: number;
  /** Timeout of a token validation call to keystone (`[keystone_authtoken] timeout`). */
  readonly tokenTimeoutMs?: number;
  /** Pin catalog lookups (tests): service type → URL, or null for "not in the catalog". */
  readonly catalogOverrides?: Record<string, string | null>;
  /** Test builds: fail requests whose handler ran no policy check. */
  readonly requireEnforcement?: boolean;
}

/** A running (or ready to listen) nova. */
export class ComputeService {
  readonly app: FastifyInstance;
  readonly api: ComputeApi;
  readonly tracer: Tracer;
  /** Console URLs and their tokens (remote-consoles, the noVNC proxy). */
  readonly consoles: ConsoleService;
  #serviceToken: (() => Promise<string>) | undefined;
  readonly #extraApps: Array<{ close(): Promise<void> }> = [];
  readonly #database: Database<ComputeDatabase>;
  readonly #transport: RuntimeTransport;
  readonly #servers: RpcServer[];
  readonly #hosts = new Map<string, ComputeHost>();
  readonly #log: Logger;
  readonly #o: ComputeServiceOptions;
  readonly #deps: ComputeHostDeps;
  readonly #heartbeat: NodeJS.Timeout;
  #closed: Promise<void> | undefined;

  private constructor(init: { app: FastifyInstance; api: ComputeApi; tracer: Tracer; consoles: ConsoleService; database: Database<ComputeDatabase>; transport: RuntimeTransport; servers: RpcServer[]; log: Logger; o: ComputeServiceOptions; deps: ComputeHostDeps; heartbeat: NodeJS.Timeout }) {
    this.app = init.app;
    this.api = init.api;
    this.tracer = init.tracer;
    this.consoles = init.consoles;
    this.#database = init.database;
    this.#transport = init.transport;
    this.#servers = init.servers;
    this.#log = init.log;
    this.#o = init.o;
    this.#deps = init.deps;
    this.#heartbeat = init.heartbeat;
  }

  /** Open the database (migrated), the bus, start scheduler, conductor and compute hosts, build the API app. */
  static async create(o: ComputeServiceOptions): Promise<ComputeService> {
    const log = o.logger.child({ service: 'compute' });
    const database = createDatabase<ComputeDatabase>(o.databaseUrl);
    try {
      await migrateToLatest(database.db, computeMigrations);
    } catch (err) {
      await database.close();
      throw err;
    }
    const transport = await createTransport(o.transportUrl);
    const tracer = o.tracer ?? new Tracer();
    const db = database.db;
    const s = o.settings;
    const deps = computeHostDeps({ transport, authUrl: o.authUrl, tracer, logger: log, ...(o.catalogOverrides !== undefined ? { catalogOverrides: o.catalogOverrides } : {}) });
    const { scheduler, images, networks, volumes } = deps;
    const compute = new ComputeRpcClient(new RpcClient(transport, { topic: 'compute', version: ComputeRpcClient.VERSION, logger: log }));
    const controller = o.controllerHost ?? hostname();
    const services = new ServiceStore(db);
    const servers: RpcServer[] = [
      new RpcServer(transport, {
        topic: 'scheduler',
        server: controller,
        version: '1.0',
        logger: log,
        endpoints: new SchedulerManager({ instances: new InstanceStore(db), actions: new InstanceActionStore(db), services, groups: new ServerGroupStore(db), aggregates: new AggregateStore(db), computeRpc: compute, tracer, logger: log.child({ component: 'nova-scheduler' }), serviceDownTimeMs: s.serviceDownTimeMs }),
      }),
      new RpcServer(transport, {
        topic: 'conductor',
        server: controller,
        version: '1.1',
        logger: log,
        endpoints: new ConductorManager({ instances: new InstanceStore(db), actions: new InstanceActionStore(db), quotas: new QuotaStore(db, s.quotas), services, groups: new ServerGroupStore(db), attachments: new VolumeAttachmentStore(db), tracer }),
      }),
    ];
    for (const srv of servers) await srv.start();
    for (const binary of ['nova-scheduler', 'nova-conductor']) await services.register(controller, binary, binary.slice(5));
    const heartbeat = setInterval(() => {
      void (async () => {
        for (const binary of ['nova-scheduler', 'nova-conductor']) {
          const rec = await services.register(controller, binary, binary.slice(5));
          await services.heartbeat(rec.uuid);
        }
      })().catch((err: unknown) => log.warn({ err }, 'controller heartbeat failed'));
    }, s.reportIntervalMs);
    heartbeat.unref();

    const api = new ComputeApi({ db, scheduler, compute, images, networks, volumes, tracer, logger: log, quotaDefaults: s.quotas, defaultAvailabilityZone: s.defaultAvailabilityZone, serviceDownTimeMs: s.serviceDownTimeMs });
    const app = createApp({ service: 'compute', dialect: 'compute', logger: o.logger, requestIdHeader: 'x-compute-request-id' });
    const validator = new TokenValidator({ authUrl: o.authUrl, ...(o.tokenCacheTtlMs !== undefined ? { cacheTtlMs: o.tokenCacheTtlMs } : {}), ...(o.tokenTimeoutMs !== undefined ? { timeoutMs: o.tokenTimeoutMs } : {}) });
    registerKeystoneAuth(app, {
      validator,
      policy: computePolicy,
      authUrl: o.authUrl,
      isPublic: (r) => isVersionPath(r.url),
      trace: { tracer, component: 'nova-api', askStep: 4, answerStep: 5, authSteps: true },
      ...(o.requireEnforcement === true ? { requireEnforcement: true } : {}),
    });
    app.decorateRequest('apiVersion', null);
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/v2.1/')) return;
      request.apiVersion = negotiateVersion(request.headers);
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.apiVersion !== null) {
        void reply.header('openstack-api-version', `compute ${request.apiVersion.toString()}`);
        void reply.header('x-openstack-nova-api-version', request.apiVersion.toString());
        void reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
      }
      return payload;
    });
    registerVersionRoutes(app);
    registerServerRoutes(app, api);
    registerServerActionRoutes(app, api);
    registerFlavorRoutes(app, api);
    registerKeypairRoutes(app, api);
    registerLimitsQuotaRoutes(app, api);
    registerOsAdminRoutes(app, api);
    registerServerResourceRoutes(app, api);
    registerOsMiscRoutes(app, api);
    registerImageProxyRoutes(app, api);
    registerNetworkProxyRoutes(app, api);
    registerVolumeProxyRoutes(app, api);
    registerFloatingIpProxyRoutes(app, api);
    const consoles = new ConsoleService({ api, compute });
    registerRemoteConsoleRoutes(app, api, consoles);

    const service = new ComputeService({ app, api, tracer, consoles, database, transport, servers, log, o, deps, heartbeat });
    try {
      for (const h of o.computeHosts) await service.addComputeHost(h.host, h.hypervisor);
    } catch (err) {
      await service.close();
      throw err;
    }
    return service;
  }

  /** Start nova-compute for `host` in this process (its own topic `compute.<host>` and service record). */
  async addComputeHost(host: string, hypervisor?: Hypervisor): Promise<void> {
    const s = this.#o.settings;
    const hv = hypervisor ?? new InMemoryHypervisor({ vcpus: s.fakeResources.vcpus, memoryMb: s.fakeResources.memoryMb, localGb: s.fakeResources.localGb });
    this.#hosts.set(host, await ComputeHost.start(this.#deps, { host, hypervisor: hv, settings: s, stateDir: this.#o.stateDir }));
  }

  /**
   * Give nova its service credentials (nova's [neutron] and [service_user] sections): a source of
   * tokens of its own user in the `service` project, used for neutron port bindings and the metadata
   * API's lookups. It is called for every such request, so it should reuse a token while it is valid
   * (the all-in-one's `passwordTokenSource` does).
   */
  useServiceToken(token: (rejected?: string) => Promise<string>): void {
    this.#serviceToken = token;
    this.#deps.networks.useServiceToken(token);
  }

  /**
   * Start nova-api-metadata on host:port (the guests' metadata API); resolves to its base URL.
   * Neutron lookups use the service token given to useServiceToken.
   */
  async listenMetadata(host: string, port: number, opts: { sharedSecret: string }): Promise<string> {
    const app = createMetadataApp({
      instances: this.api.instances,
      networks: this.#deps.networks,
      serviceToken: async () => (this.#serviceToken === undefined ? undefined : this.#serviceToken()),
      sharedSecret: opts.sharedSecret,
      logger: this.#log.child({ component: 'nova-api-metadata' }),
    });
    this.#extraApps.push(app);
    await app.listen({ host, port });
    const addr = app.server.address();
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${typeof addr === 'object' && addr !== null ? addr.port : port}`;
    this.#log.info({ url }, 'metadata API listening');
    return url;
  }

  /** Start the noVNC proxy on host:port; resolves to the port it listens on. */
  async listenConsoleProxy(host: string, port: number): Promise<number> {
    const proxy = new NoVncProxy({ tokens: this.consoles.tokens, logger: this.#log });
    this.#extraApps.push(proxy);
    const actual = await proxy.listen(host, port);
    this.#log.info({ host, port: actual }, 'noVNC proxy listening');
    return actual;
  }

  /** The compute hosts running in this process. */
  get hosts(): readonly string[] {
    return [...this.#hosts.keys()];
  }

  /** Stop one host's nova-compute (its heartbeat stops; it goes down after service_down_time). */
  async stopComputeHost(host: string): Promise<void> {
    const h = this.#hosts.get(host);
    if (h === undefined) return;
    this.#hosts.delete(host);
    await h.stop();
  }

  /** Listen on host:port; resolves to the base URL. */
  async listen(host: string, port: number): Promise<string> {
    await this.app.listen({ host, port });
    const addr = this.app.server.address();
    const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    this.#log.info({ url }, 'compute API listening');
    return url;
  }

  /** Stop the API, every host, the scheduler and conductor, the bus and the database. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#heartbeat);
      await this.app.close();
      for (const a of this.#extraApps.splice(0)) await a.close();
      for (const h of [...this.#hosts.keys()]) await this.stopComputeHost(h);
      for (const s of this.#servers) await s.stop();
      await this.#transport.close();
      await this.#database.close();
    })();
    return this.#closed;
  }
}
