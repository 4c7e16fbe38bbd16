/** The cinder-api process: the HTTP app (auth, microversions, routes) over VolumeApi, plus its completion-notice RPC server. */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { TokenValidator, registerKeystoneAuth } from '@strata/auth';
import { createDatabase, migrateToLatest, type Database } from '@strata/db';
import { NotFound } from '@strata/errors';
import { createApp, renderError, toOpenStackError } from '@strata/http';
import type { Logger } from '@strata/log';
import { RpcServer, type RpcContext, type Transport } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import type { BlockStorageApiConfig } from './api-support.js';
import { AttachmentApi } from './attachment-api.js';
import type { BlockStorageDatabase } from './db/schema.js';
import { blockStorageMigrations } from './db/migrations.js';
import { GroupApi } from './group-api.js';
import { ImageGateway } from './image-gateway.js';
import { GroupStore } from './objects/group.js';
import { MessageStore } from './objects/message.js';
import { QosSpecStore } from './objects/qos-spec.js';
import { QuotaEngine, type QuotaDefaults } from './objects/quota.js';
import { SchedulerRpcClient } from './scheduler/scheduler-rpc.js';
import { SnapshotApi } from './snapshot-api.js';
import { VolumeApi } from './volume-api.js';
import { API_TOPIC, VolumeRpcClient, type ApiNotifyRpc } from './volume/volume-rpc.js';
import { registerAdminRoutes } from './api/admin-routes.js';
import { registerAttachmentRoutes } from './api/attachments-routes.js';
import { registerGroupRoutes } from './api/group-routes.js';
import { isDiscoveryPath, registerDiscoveryRoutes } from './api/discovery-routes.js';
import { registerMessageRoutes } from './api/message-routes.js';
import { requestedVersion } from './api/microversion.js';
import { blockStoragePolicy } from './api/policy.js';
import { registerQosRoutes } from './api/qos-routes.js';
import { registerQuotaRoutes } from './api/quota-routes.js';
import { registerSnapshotRoutes } from './api/snapshots-routes.js';
import { registerTransferRoutes } from './api/transfer-routes.js';
import { registerTypeRoutes } from './api/types-routes.js';
import { registerVolumeActionRoutes } from './api/volume-actions-routes.js';
import { registerVolumeRoutes } from './api/volumes-routes.js';

/** What cinder-api is built from. */
export interface BlockStorageServiceOptions {
  readonly db: Kysely<BlockStorageDatabase>;
  readonly transport: Transport;
  /** Keystone's auth URL (…/v3). */
  readonly authUrl: string;
  /** This API host's name (its RPC server name for completion notices). */
  readonly host: string;
  readonly config: BlockStorageApiConfig;
  readonly quotaDefaults: QuotaDefaults;
  readonly logger: Logger;
  readonly tracer?: Tracer | undefined;
  /** @default 30000 */
  readonly tokenCacheTtlMs?: number;
  /** @default 10000 */
  readonly tokenTimeoutMs?: number;
  /** Test builds: fail any request whose handler ran no policy check. */
  readonly requireEnforcement?: boolean;
}

/** Open a block-storage database and bring its schema up to date (`strata db sync` is the tidy way; concurrent starters retry). */
export async function openBlockStorageDatabase(url: string): Promise<Database<BlockStorageDatabase>> {
  const database = createDatabase<BlockStorageDatabase>(url);
  for (let attempt = 1; ; attempt += 1) {
    try {
      await migrateToLatest(database.db, blockStorageMigrations);
      return database;
    } catch (err) {
      // NOTE: cinder-api, -scheduler and -volume started together race to migrate a fresh
      // database; the loser sees "already exists" and finds the work done when it looks again.
      if (attempt < 5 && /already exists|duplicate|locked/i.test(String((err as Error).message))) {
        await new Promise((r) => setTimeout(r, 200 * attempt));
        continue;
      }
      await database.close();
      throw err;
    }
  }
}

/** A running (or ready to run) cinder-api. */
export class BlockStorageService {
  readonly app: FastifyInstance;
  readonly api: VolumeApi;
  readonly #notices: RpcServer;
  readonly #log: Logger;

  private constructor(app: FastifyInstance, api: VolumeApi, notices: RpcServer, log: Logger) {
    this.app = app;
    this.api = api;
    this.#notices = notices;
    this.#log = log;
  }

  /** Build the app and start consuming completion notices (not yet listening on HTTP). */
  static async create(opts: BlockStorageServiceOptions): Promise<BlockStorageService> {
    const log = opts.logger.child({ service: 'block-storage' });
    const quotas = new QuotaEngine(opts.db, opts.quotaDefaults);
    const volumeRpc = new VolumeRpcClient(opts.transport);
    const scheduler = new SchedulerRpcClient(opts.transport);
    const api = new VolumeApi({ db: opts.db, scheduler, volumeRpc, quotas, images: new ImageGateway(opts.authUrl), config: opts.config, logger: opts.logger, tracer: opts.tracer });
    const attachments = new AttachmentApi(api);
    const snapshots = new SnapshotApi(api, volumeRpc, opts.db);
    const groups = new GroupApi(new GroupStore(opts.db), api, snapshots);

    const app = createApp({ service: 'block-storage', dialect: 'volume', logger: opts.logger });
    const validator = new TokenValidator({ authUrl: opts.authUrl, cacheTtlMs: opts.tokenCacheTtlMs ?? 30_000, timeoutMs: opts.tokenTimeoutMs ?? 10_000 });
    app.decorateRequest('volumeApiVersion', null);
    // NOTE: the routes mapper of cinder has no trailing-slash variants: GET /volumes/ is a 404, not the list.
    app.addHook('onRequest', async (request) => {
      const path = request.url.split('?')[0] ?? '';
      if (path.length > 4 && path.endsWith('/') && path !== '/v3/') throw new NotFound('The resource could not be found.');
    });
    registerKeystoneAuth(app, {
      validator,
      policy: blockStoragePolicy,
      authUrl: opts.authUrl,
      isPublic: (r) => isDiscoveryPath(r.url),
      ...(opts.tracer !== undefined ? { trace: { tracer: opts.tracer, component: 'cinder-api', askStep: 40 } } : {}),
      ...(opts.requireEnforcement === true ? { requireEnforcement: true } : {}),
    });
    app.addHook('onRequest', async (request, reply) => {
      if (isDiscoveryPath(request.url) || !request.url.startsWith('/v3/')) return;
      try {
        request.volumeApiVersion = requestedVersion(request.headers);
      } catch (err) {
        const e = toOpenStackError(err);
        return reply.code(e.status).type('application/json').send(renderError('volume', e));
      }
      const v = request.volumeApiVersion.toString();
      reply.header('openstack-api-version', `volume ${v}`).header('x-openstack-volume-api-version', v).header('vary', 'OpenStack-API-Version, X-OpenStack-Volume-API-Version');
      return undefined;
    });
    registerDiscoveryRoutes(app);
    const routes = async (scope: FastifyInstance): Promise<void> => {
      registerVolumeRoutes(scope, api);
      registerVolumeActionRoutes(scope, api, attachments);
      registerAttachmentRoutes(scope, attachments);
      registerSnapshotRoutes(scope, snapshots);
      registerTypeRoutes(scope, api);
      registerQuotaRoutes(scope, api);
      registerAdminRoutes(scope, api, scheduler);
      registerMessageRoutes(scope, new MessageStore(opts.db));
      registerTransferRoutes(scope, api);
      registerQosRoutes(scope, api, new QosSpecStore(opts.db));
      registerGroupRoutes(scope, groups);
    };
    await app.register(routes, { prefix: '/v3/:project_id' });
    // 3.67: the project id in the URL is optional.
    await app.register(routes, { prefix: '/v3' });

    const notices: ApiNotifyRpc = {
      volumeCreated: async (_ctx: RpcContext, args: { volumeId: string; status: string }) => {
        api.volumeCreated(args.volumeId, args.status);
      },
    };
    const server = new RpcServer(opts.transport, { topic: API_TOPIC, server: opts.host, endpoints: notices, version: '1.0', logger: opts.logger });
    await server.start();
    return new BlockStorageService(app, api, server, log);
  }

  /** Listen on host:port; resolves to the base URL. */
  async listen(host: string, port: number): Promise<string> {
    await this.app.listen({ host, port });
    const addr = this.app.server.address();
    const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    this.#log.info({ url }, 'block storage API listening');
    return url;
  }

  /** Stop listening and consuming. */
  async close(): Promise<void> {
    await this.app.close();
    await this.#notices.stop();
  }
}
