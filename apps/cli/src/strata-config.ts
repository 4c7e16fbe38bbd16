/** The whole cloud's config schema (every service's groups) and how `strata` finds its data dir and config file. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commonSchema, loadConfig, type CompiledConfig } from '@strata/config';
// NOTE: each service's schema from its light `config` entry, so commands that only read the config (trace,
// server create, --help) do not load the services themselves.
import { identitySchema } from '@strata/identity/config';
import { imageSchema } from '@strata/image/config';
import { computeSchema } from '@strata/compute/config';
import { networkSchema } from '@strata/network/config';
import { blockStorageSchema } from '@strata/block-storage/config';
import { dashboardSchema } from '@strata/dashboard/config';

/** Every group a strata.toml may hold. */
export const strataSchema = { ...commonSchema, ...identitySchema, ...imageSchema, ...computeSchema, ...networkSchema, ...blockStorageSchema, ...dashboardSchema } as const;

/** The compiled config of the cloud. */
export type StrataConfig = CompiledConfig<typeof strataSchema>;

/** Where a command's data and config are. */
export interface Location {
  readonly dataDir: string;
  readonly configFile: string;
}

/** Resolve the data dir (flag, then STRATA_DATA_DIR, then ./data) and the config file (flag, else <data-dir>/strata.toml). */
export function locate(flags: { dataDir?: string; config?: string }, env: NodeJS.ProcessEnv): Location {
  const dataDir = resolve(flags.dataDir ?? env.STRATA_DATA_DIR ?? 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return { dataDir, configFile: resolve(flags.config ?? join(dataDir, 'strata.toml')) };
}

/** Load the cloud's config; throws ConfigError naming the bad key and value. */
export function loadStrataConfig(loc: Location, env: NodeJS.ProcessEnv): StrataConfig {
  return loadConfig(strataSchema, { file: loc.configFile, env });
}
