/** The all-in-one cloud: every Strata service in one process, bootstrapped, with one close(). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serviceDatabaseUrl } from '@strata/config';
import type { Logger } from '@strata/log';
import { IdentityClient } from '@strata/clients';
import { Tracer } from '@strata/trace';
import { bootstrap, IdentityService, tokenKeyDir, type CatalogServiceSpec } from '@strata/identity';
import type { StrataConfig } from './strata-config.js';
import { readOpenrcPassword, writeCredentialFiles } from './credential-files.js';
import type { CloudContext, RunningService } from './services/cloud-service.js';
import { CLOUD_SERVICES } from './services/index.js';

/** A running all-in-one cloud. */
export interface Cloud {
  /** Base URLs by service (identity: http://host:5000, image: http://host:9292, ...). */
  readonly urls: Readonly<Record<string, string>>;
  /** The keystone auth URL clients use (…/v3). */
  readonly authUrl: string;
  readonly identity: IdentityService;
  /** The process-wide tracer (FLOW.md steps of every service). */
  readonly tracer: Tracer;
  /** Files with the admin credentials. */
  readonly openrc: string;
  readonly cloudsYaml: string;
  /** The admin password when this start set it (first start), else undefined. */
  readonly adminPassword: string | undefined;
  /** Stop every service. Idempotent. */
  close(): Promise<void>;
}

/** How to start the cloud. */
export interface StartCloudOptions {
  readonly dataDir: string;
  readonly config: StrataConfig;
  readonly logger: Logger;
}

function hostForUrl(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}

/** Start every service, apply migrations, bootstrap, and write the credential files on first start. */
export async function startCloud(opts: StartCloudOptions): Promise<Cloud> {
  const { config, dataDir, logger } = opts;
  const listenHost = config.DEFAULT.host;
  const publicHost = hostForUrl(config.DEFAULT.public_host === '' ? listenHost : config.DEFAULT.public_host);
  const tracer = new Tracer();
  const identity = await IdentityService.create({
    databaseUrl: serviceDatabaseUrl(config.database.connection, 'identity', dataDir),
    keyDir: tokenKeyDir(dataDir),
    logger,
    tracer,
    tokenExpirationMs: config.identity.token_expiration,
    passwordHashRounds: config.identity.password_hash_rounds,
    maxActiveKeys: config.identity.max_active_keys,
    region: config.DEFAULT.region,
  });
  const closers: Array<() => Promise<void>> = [() => identity.close()];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    closers.length = 0;
  };
  try {
    const identityListen = await identity.listen(listenHost, config.identity.port);
    const identityUrl = `http://${publicHost}:${new URL(identityListen).port}`;
    const authUrl = `${identityUrl}/v3`;
    const ctx: CloudContext = {
      config,
      dataDir,
      logger,
      tracer,
      listenHost,
      publicHost,
      authUrl,
      databaseUrl: (service) => serviceDatabaseUrl(config.database.connection, service, dataDir),
    };
    const urls: Record<string, string> = { identity: identityUrl };
    const catalog: CatalogServiceSpec[] = [{ type: 'identity', name: 'keystone', description: 'Identity Service', urls: { public: authUrl, internal: authUrl, admin: authUrl } }];
    const running: RunningService[] = [];
    for (const svc of CLOUD_SERVICES) {
      const r = await svc.start(ctx);
      closers.push(() => r.close());
      running.push(r);
      urls[svc.name] = r.url;
      catalog.push(...r.catalog);
    }
    const result = await bootstrap(identity.api, {
      adminUser: config.identity.admin_user,
      adminProject: config.identity.admin_project,
      ...(config.identity.admin_password !== '' ? { adminPassword: config.identity.admin_password } : {}),
      region: config.DEFAULT.region,
      services: catalog,
    });
    const openrc = join(dataDir, 'openrc');
    const cloudsYaml = join(dataDir, 'clouds.yaml');
    const adminCreds = { authUrl, username: config.identity.admin_user, projectName: config.identity.admin_project, region: config.DEFAULT.region };
    if (result.adminPassword !== undefined) {
      writeCredentialFiles(dataDir, { ...adminCreds, password: result.adminPassword });
    } else if (!existsSync(openrc)) {
      logger.warn({ openrc }, 'admin password unknown and no openrc: set [identity] admin_password to reset it');
    }
    // Post-bootstrap work (default networks, the test image...) runs as the admin, over REST.
    const password = result.adminPassword ?? (config.identity.admin_password !== '' ? config.identity.admin_password : readOpenrcPassword(dataDir));
    const identityClient = new IdentityClient(authUrl);
    const adminToken = async (): Promise<string> => {
      if (password === undefined) throw new Error('admin password unknown: set [identity] admin_password');
      return (await identityClient.authenticate({ username: adminCreds.username, password, projectName: adminCreds.projectName }, { nocatalog: true })).id;
    };
    for (const r of running) await r.afterBootstrap?.({ token: adminToken });
    return { urls, authUrl, identity, tracer, openrc, cloudsYaml, adminPassword: result.adminPassword, close };
  } catch (err) {
    await close();
    throw err;
  }
}
