/** The glance-api process: its database, file stores, API logic and HTTP app, with start and stop. */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { createDatabase, migrateToLatest, type Database } from '@strata/db';
import { createApp } from '@strata/http';
import type { Logger } from '@strata/log';
import { Tracer } from '@strata/trace';
import { registerKeystoneAuth, TokenValidator } from '@strata/auth';
import type { ImageStore } from '@strata/image-store';
import { FileImageStore } from '@strata/image-store-file';
import type { ImageDatabase } from './db/schema.js';
import { imageMigrations } from './db/migrations.js';
import { ImageApi, type ImageLimits } from './image-api.js';
import { MetadefApi } from './metadef-api.js';
import { imagePolicy } from './image-policy.js';
import { PATCH_V20, PATCH_V21 } from './json-patch.js';
import { registerDiscoveryRoutes } from './api/discovery-routes.js';
import { registerImagesRoutes } from './api/images-routes.js';
import { registerImageDataRoutes } from './api/image-data-routes.js';
import { registerMembersRoutes } from './api/members-routes.js';
import { registerInfoRoutes } from './api/info-routes.js';
import { registerMetadefsRoutes } from './api/metadefs-routes.js';

/** What the image service is built from. */
export interface ImageServiceOptions {
  /** Database URL of the image schema. */
  readonly databaseUrl: string;
  /** Directory of the file store; staged imports go to `<dataDir>/staging`. */
  readonly dataDir: string;
  /** Keystone's auth URL (…/v3), to validate tokens. */
  readonly authUrl: string;
  readonly logger: Logger;
  /** Shared with the other services of an all-in-one, so a request's trace holds every step. */
  readonly tracer?: Tracer;
  /** @default glance's defaults: 1 TiB cap, no storage quota, 128 members/properties/tags */
  readonly limits?: Partial<ImageLimits>;
  /** Offer glance-direct import. @default true */
  readonly glanceDirect?: boolean;
  /** fsync uploads before they become active. @default false */
  readonly fsync?: boolean;
  /** Token validation cache lifetime. @default 30000 */
  readonly tokenCacheTtlMs?: number;
  /** @default 10000 */
  readonly tokenTimeoutMs?: number;
  /** Test builds: fail any request whose handler ran no policy check. @default false */
  readonly requireEnforcement?: boolean;
}

const DEFAULT_LIMITS: ImageLimits = { imageSizeCap: 1024 ** 4, userStorageQuota: 0, memberQuota: 128, propertyQuota: 128, tagQuota: 128 };

/** A running (or ready to run) glance-api. */
export class ImageService {
  readonly app: FastifyInstance;
  readonly api: ImageApi;
  readonly tracer: Tracer;
  readonly #database: Database<ImageDatabase>;
  readonly #stores: readonly ImageStore[];
  readonly #log: Logger;

  private constructor(app: FastifyInstance, api: ImageApi, database: Database<ImageDatabase>, stores: readonly ImageStore[], tracer: Tracer, log: Logger) {
    this.app = app;
    this.api = api;
    this.#database = database;
    this.#stores = stores;
    this.tracer = tracer;
    this.#log = log;
  }

  /** Open the database, apply migrations, open the stores and build the app (not yet listening). */
  static async create(opts: ImageServiceOptions): Promise<ImageService> {
    const log = opts.logger.child({ service: 'image' });
    const database = createDatabase<ImageDatabase>(opts.databaseUrl);
    let store: FileImageStore | undefined;
    let staging: FileImageStore | undefined;
    try {
      await migrateToLatest(database.db, imageMigrations);
      store = await FileImageStore.create({ dir: opts.dataDir, fsync: opts.fsync ?? false });
      staging = await FileImageStore.create({ dir: join(opts.dataDir, 'staging'), id: 'os_glance_staging_store', parallelHashing: false });
    } catch (err) {
      await store?.close();
      await database.close();
      throw err;
    }
    const tracer = opts.tracer ?? new Tracer();
    const api = new ImageApi({
      db: database.db,
      store,
      staging,
      logger: log,
      limits: { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) },
      importMethods: opts.glanceDirect === false ? [] : ['glance-direct'],
    });
    const metadefs = new MetadefApi(database.db);

    const app = createApp({ service: 'image', dialect: 'image', logger: opts.logger });
    // NOTE: uploads of large images take longer than Node's default 5-minute request timeout.
    app.server.requestTimeout = 0;
    // Image data is streamed to the store as it arrives, never buffered (no body limit applies here).
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    app.addContentTypeParser([PATCH_V20, PATCH_V21], { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(typeof body === 'string' ? body : body.toString('utf8')));
      } catch (err) {
        done(new BadRequest(`Malformed request body: ${(err as Error).message}`), undefined);
      }
    });
    registerKeystoneAuth(app, {
      validator: new TokenValidator({ authUrl: opts.authUrl, cacheTtlMs: opts.tokenCacheTtlMs ?? 30_000, timeoutMs: opts.tokenTimeoutMs ?? 10_000 }),
      policy: imagePolicy,
      authUrl: opts.authUrl,
      isPublic: (r) => r.method === 'GET' && (r.url === '/' || r.url === '/versions' || r.url.startsWith('/?') || r.url.startsWith('/versions?')),
      trace: { tracer, component: 'glance-api', askStep: 21, answerStep: 22 },
      requireEnforcement: opts.requireEnforcement ?? false,
    });
    // glance routes no trailing slashes: GET /v2/images/ (an empty image id) is a 404, not the list.
    app.addHook('onRequest', async (request) => {
      const path = request.url.split('?')[0] ?? '';
      if (path.length > 1 && path.endsWith('/')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    });
    registerDiscoveryRoutes(app);
    registerImagesRoutes(app, api);
    registerImageDataRoutes(app, api, tracer);
    registerMembersRoutes(app, api);
    registerInfoRoutes(app, api);
    registerMetadefsRoutes(app, metadefs);
    return new ImageService(app, api, database, [store, staging], tracer, log);
  }

  /** Listen on host:port; resolves to the base URL. */
  async listen(host: string, port: number): Promise<string> {
    await this.app.listen({ host, port });
    const addr = this.app.server.address();
    const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    this.#log.info({ url }, 'image API listening');
    return url;
  }

  /** Stop listening, let running imports finish, close the stores and the database. */
  async close(): Promise<void> {
    await this.app.close();
    await this.api.settled();
    for (const s of this.#stores) await s.close();
    await this.#database.close();
  }
}

/** Where image data lives under a data directory. */
export function imageDataDir(dataDir: string): string {
  return join(dataDir, 'images');
}
