/** The all-in-one cloud: every Strata service in one process, bootstrapped, with one close(). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serviceDatabaseUrl } from '@strata/config';
import { ensureDatabase, maskUrl } from '@strata/db';
import type { Logger } from '@strata/log';
import { Tracer } from '@strata/trace';
import { bootstrap, IdentityService, tokenKeyDir, type CatalogServiceSpec } from '@strata/identity';
import type { StrataConfig } from './strata-config.js';
import { readOpenrcPassword, writeCredentialFiles } from './credential-files.js';
import { knownServicePassword, metadataProxySecret, passwordTokenSource, readServicePasswords, SERVICE_PROJECT, writeServicePasswords, type ServiceUserSpec, type TokenSource } from './service-users.js';
import type { CloudContext, RunningService } from './services/cloud-service.js';
import { CLOUD_SERVICES } from './services/index.js';
import { MIGRATIONS } from './databases.js';
import { urlHost } from './url-host.js';

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

/**
 * The password of every service user; rewrites <data-dir>/service-credentials.json when what it
 * should hold (the passwords not set in the config) changed.
 */
function keepServicePasswords(dataDir: string, stored: Readonly<Record<string, string>>, users: readonly ServiceUserSpec[], setByBootstrap: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = { ...stored };
  const all: Record<string, string> = {};
  for (const u of users) {
    // Bootstrap sets a stored password again, unchanged, or generates one where none was known.
    const password = knownServicePassword(u, stored) ?? setByBootstrap[u.name];
    if (password === undefined) throw new Error(`no password for service user ${u.name}`);
    all[u.name] = password;
    if (u.configuredPassword !== '') delete kept[u.name];
    else kept[u.name] = password;
  }
  if (JSON.stringify(kept) !== JSON.stringify(stored)) writeServicePasswords(dataDir, kept);
  return all;
}

/** Start every service, apply migrations, bootstrap, and write the credential files on first start. */
export async function startCloud(opts: StartCloudOptions): Promise<Cloud> {
  const { config, dataDir, logger } = opts;
  const listenHost = config.DEFAULT.host;
  const publicHost = urlHost(config.DEFAULT.public_host === '' ? listenHost : config.DEFAULT.public_host);
  const tracer = new Tracer();
  if (config.database.connection !== '') {
    for (const service of Object.keys(MIGRATIONS)) {
      const url = serviceDatabaseUrl(config.database.connection, service, dataDir);
      if (await ensureDatabase(url)) logger.info({ service, database: maskUrl(url) }, 'created the database');
    }
  }
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
      metadataSecret: metadataProxySecret(config.compute.metadata_proxy_shared_secret, dataDir, { generate: true }),
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
    // Service users: a set [<group>] service_password wins, else the one an earlier start kept, else bootstrap generates one.
    const storedPasswords = readServicePasswords(dataDir);
    const serviceUsers = running.flatMap((r) => (r.serviceUser === undefined ? [] : [r.serviceUser]));
    const result = await bootstrap(identity.api, {
      adminUser: config.identity.admin_user,
      adminProject: config.identity.admin_project,
      ...(config.identity.admin_password !== '' ? { adminPassword: config.identity.admin_password } : {}),
      region: config.DEFAULT.region,
      services: catalog,
      serviceUsers: serviceUsers.map((u) => {
        const password = knownServicePassword(u, storedPasswords);
        return password === undefined ? { name: u.name } : { name: u.name, password };
      }),
    });
    const servicePasswords = keepServicePasswords(dataDir, storedPasswords, serviceUsers, result.servicePasswords);
    const openrc = join(dataDir, 'openrc');
    const cloudsYaml = join(dataDir, 'clouds.yaml');
    const adminCreds = { authUrl, username: config.identity.admin_user, projectName: config.identity.admin_project, region: config.DEFAULT.region };
    if (result.adminPassword !== undefined) {
      writeCredentialFiles(dataDir, { ...adminCreds, password: result.adminPassword });
    } else if (!existsSync(openrc)) {
      logger.warn({ openrc }, 'admin password unknown and no openrc: set [identity] admin_password to reset it');
    }
    // The operator's first-start work (default networks, the test image...) runs as the admin, over REST;
    // each service calls the others as its own user of the `service` project.
    const password = result.adminPassword ?? (config.identity.admin_password !== '' ? config.identity.admin_password : readOpenrcPassword(dataDir));
    const adminToken: TokenSource =
      password === undefined ? () => Promise.reject(new Error('admin password unknown: set [identity] admin_password')) : passwordTokenSource(authUrl, { username: adminCreds.username, password, projectName: adminCreds.projectName });
    for (const r of running) {
      const user = r.serviceUser;
      const serviceToken: TokenSource =
        user === undefined ? () => Promise.reject(new Error('this service has no service user')) : passwordTokenSource(authUrl, { username: user.name, password: servicePasswords[user.name] as string, projectName: SERVICE_PROJECT });
      await r.afterBootstrap?.({ admin: adminToken, service: serviceToken });
    }
    return { urls, authUrl, identity, tracer, openrc, cloudsYaml, adminPassword: result.adminPassword, close };
  } catch (err) {
    await close();
    throw err;
  }
}
