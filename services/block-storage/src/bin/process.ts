/** What the cinder process entry points share: config (file from STRATA_CONFIG, then OS_* environment), logger, database, transport, and a clean stop on SIGTERM. */
import { hostname } from 'node:os';
import { commonSchema, loadConfig, serviceDatabaseUrl, type CompiledConfig } from '@strata/config';
import { createLogger, type Logger } from '@strata/log';
import { createTransport, type RuntimeTransport } from '@strata/rpc';
import { openBlockStorageDatabase } from '../block-storage-service.js';
import { blockStorageSchema } from '../config.js';
import type { Database } from '@strata/db';
import type { BlockStorageDatabase } from '../db/schema.js';

const schema = { ...commonSchema, ...blockStorageSchema } as const;

/** The compiled config of a cinder process. */
export type CinderConfig = CompiledConfig<typeof schema>;

/** Everything a process needs before it starts its service. */
export interface ProcessBase {
  readonly config: CinderConfig;
  readonly logger: Logger;
  readonly host: string;
  readonly database: Database<BlockStorageDatabase>;
  readonly transport: RuntimeTransport;
}

/** Load config, open the database and the transport. `dataDir` holds the SQLite file when no [database] connection is set. */
export async function processBase(component: string): Promise<ProcessBase> {
  const config = loadConfig(schema, { file: process.env.STRATA_CONFIG ?? 'strata.toml', env: process.env });
  const logger = createLogger({ level: config.logging.level, bindings: { app: 'strata', component } });
  const host = config.block_storage.host === '' ? hostname() : config.block_storage.host;
  const dataDir = process.env.STRATA_DATA_DIR ?? 'data';
  const database = await openBlockStorageDatabase(serviceDatabaseUrl(config.database.connection, 'block_storage', dataDir));
  const transport = await createTransport(config.messaging.transport_url, { logger, connectionName: `${component}:${host}` });
  return { config, logger, host, database, transport };
}

/** Run until SIGINT/SIGTERM, then close everything in order. */
export function runUntilSignal(logger: Logger, close: () => Promise<void>): void {
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    void close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
