/** The keystone process: its database, token keys, API logic and HTTP app, with start and stop. */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createDatabase, migrateToLatest, type Database } from '@strata/db';
import { createApp } from '@strata/http';
import type { Logger } from '@strata/log';
import { Tracer } from '@strata/trace';
import type { IdentityDatabase } from './db/schema.js';
import { identityMigrations } from './db/migrations.js';
import { IdentityApi } from './identity-api.js';
import { KeyRepository } from './token/key-repository.js';
import { TokenProvider } from './token/token-provider.js';
import { registerDiscoveryRoutes } from './api/discovery-routes.js';
import { registerAuthRoutes } from './api/auth-routes.js';
import { registerIdentityRoutes } from './api/identity-routes.js';
import { registerRoleRoutes } from './api/role-routes.js';
import { registerCatalogRoutes } from './api/catalog-routes.js';
import { registerAppCredentialRoutes } from './api/app-credential-routes.js';
import { registerAccessRuleRoutes } from './api/access-rule-routes.js';
import { registerCredentialRoutes } from './api/credential-routes.js';
import { registerTrustRoutes } from './api/trust-routes.js';
import { registerOAuthConsumerRoutes } from './api/oauth-consumer-routes.js';
import { registerPolicyRoutes } from './api/policy-routes.js';
import { registerEndpointFilterRoutes } from './api/endpoint-filter-routes.js';
import { registerDomainConfigRoutes } from './api/domain-config-routes.js';

/** What the identity service is built from. */
export interface IdentityServiceOptions {
  /** Database URL of the identity schema. */
  readonly databaseUrl: string;
  /** Directory of the token signing keys (created if missing). */
  readonly keyDir: string;
  readonly logger: Logger;
  readonly tracer?: Tracer;
  readonly tokenExpirationMs?: number;
  readonly passwordHashRounds?: number;
  readonly maxActiveKeys?: number;
  readonly region?: string;
}

/** A running (or ready to run) keystone. */
export class IdentityService {
  readonly app: FastifyInstance;
  readonly api: IdentityApi;
  readonly tracer: Tracer;
  readonly #database: Database<IdentityDatabase>;
  readonly #tokens: TokenProvider;
  readonly #log: Logger;

  private constructor(app: FastifyInstance, api: IdentityApi, database: Database<IdentityDatabase>, tokens: TokenProvider, tracer: Tracer, log: Logger) {
    this.app = app;
    this.api = api;
    this.#database = database;
    this.#tokens = tokens;
    this.tracer = tracer;
    this.#log = log;
  }

  /** Open the database, apply migrations, load the keys and build the app (not yet listening). */
  static async create(opts: IdentityServiceOptions): Promise<IdentityService> {
    const log = opts.logger.child({ service: 'identity' });
    const database = createDatabase<IdentityDatabase>(opts.databaseUrl);
    try {
      await migrateToLatest(database.db, identityMigrations);
    } catch (err) {
      await database.close();
      throw err;
    }
    const tokens = new TokenProvider(new KeyRepository(opts.keyDir, opts.maxActiveKeys ?? 3));
    const tracer = opts.tracer ?? new Tracer();
    const api = new IdentityApi({
      db: database.db,
      tokens,
      logger: log,
      tokenExpirationMs: opts.tokenExpirationMs ?? 3_600_000,
      passwordHashRounds: opts.passwordHashRounds ?? 10,
      defaultRegion: opts.region ?? 'RegionOne',
    });
    const app = createApp({ service: 'identity', dialect: 'identity', logger: opts.logger });
    registerDiscoveryRoutes(app);
    registerAuthRoutes(app, api, tracer);
    registerIdentityRoutes(app, api);
    registerRoleRoutes(app, api);
    registerCatalogRoutes(app, api);
    registerAppCredentialRoutes(app, api);
    registerAccessRuleRoutes(app, api);
    registerCredentialRoutes(app, api);
    registerTrustRoutes(app, api);
    registerOAuthConsumerRoutes(app, api);
    registerPolicyRoutes(app, api);
    registerEndpointFilterRoutes(app, api);
    registerDomainConfigRoutes(app, api);
    return new IdentityService(app, api, database, tokens, tracer, log);
  }

  /** Listen on host:port; resolves to the base URL. */
  async listen(host: string, port: number): Promise<string> {
    await this.app.listen({ host, port });
    const addr = this.app.server.address();
    const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    this.#log.info({ url }, 'identity API listening');
    return url;
  }

  /** Re-read the token keys (after a rotation). */
  reloadKeys(): void {
    this.#tokens.reloadKeys();
  }

  /** Stop listening and close the database. */
  async close(): Promise<void> {
    await this.app.close();
    await this.#database.close();
  }
}

/** Where the token keys live under a data directory. */
export function tokenKeyDir(dataDir: string): string {
  return join(dataDir, 'keys', 'token');
}
