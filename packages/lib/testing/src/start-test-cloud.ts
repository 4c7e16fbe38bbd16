/** Boots the real all-in-one cloud on ephemeral ports in a temp data dir, for functional tests (Nova's start_service). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@strata/config';
import { silentLogger, type Logger } from '@strata/log';
import { IdentityClient } from '@strata/clients';
import { startCloud, strataSchema, type Cloud } from '@strata/cli';

/** A running test cloud and its admin. */
export interface TestCloud {
  readonly cloud: Cloud;
  readonly dataDir: string;
  readonly authUrl: string;
  readonly admin: { readonly username: string; readonly password: string; readonly projectName: string };
  readonly identity: IdentityClient;
  /** A fresh project-scoped admin token. */
  adminToken(): Promise<string>;
  /** Stop the cloud and remove its data dir. */
  close(): Promise<void>;
}

/** Options of startTestCloud. */
export interface TestCloudOptions {
  /** Extra config as environment overrides (OS_<GROUP>__<OPTION>). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  /** Keep this data dir (for restart tests) instead of a new temp one. */
  readonly dataDir?: string;
}

const ADMIN_PASSWORD = 'strata-test-admin';

/** Start every service on port 0 with cheap password hashing. */
export async function startTestCloud(opts: TestCloudOptions = {}): Promise<TestCloud> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-cloud-'));
  const env = {
    OS_IDENTITY__PORT: '0',
    OS_BLOCK_STORAGE__PORT: '0',
    OS_IMAGE__PORT: '0',
    OS_COMPUTE__PORT: '0',
    OS_COMPUTE__METADATA_PORT: '0',
    OS_COMPUTE__NOVNCPROXY_PORT: '0',
    OS_NETWORK__PORT: '0',
    OS_DASHBOARD__PORT: '0',
    // In-process test clouds serve APIs only; the dashboard is tested against `strata up` (startStrataProcess).
    OS_DASHBOARD__ENABLED: 'false',
    OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4',
    OS_IDENTITY__ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...(opts.env ?? {}),
  };
  const config = loadConfig(strataSchema, { env });
  const cloud = await startCloud({ dataDir, config, logger: opts.logger ?? silentLogger() });
  const identity = new IdentityClient(cloud.authUrl);
  const admin = { username: 'admin', password: env.OS_IDENTITY__ADMIN_PASSWORD, projectName: 'admin' };
  return {
    cloud,
    dataDir,
    authUrl: cloud.authUrl,
    admin,
    identity,
    adminToken: async () => (await identity.authenticate(admin, { nocatalog: true })).id,
    close: async () => {
      await cloud.close();
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
