/** Each service's database and its migrations: what `strata db sync` applies and `strata up` creates when missing. */
import { identityMigrations } from '@strata/identity';
import { imageMigrations } from '@strata/image';
import { networkMigrations } from '@strata/network';
import { blockStorageMigrations } from '@strata/block-storage';
import { computeMigrations } from '@strata/compute';
import type { MigrationSet } from '@strata/db';
import type { ServiceDatabase } from './service-databases.js';

/** Migrations by service database name (the `{service}` of `[database] connection`): one for each of SERVICE_DATABASES. */
export const MIGRATIONS: Readonly<Record<ServiceDatabase, MigrationSet>> = { identity: identityMigrations, image: imageMigrations, network: networkMigrations, block_storage: blockStorageMigrations, compute: computeMigrations };
