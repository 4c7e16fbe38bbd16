/** Each service's database and its migrations: what `strata db sync` applies and `strata up` creates when missing. */
import { identityMigrations } from '@strata/identity';
import { imageMigrations } from '@strata/image';
import { networkMigrations } from '@strata/network';
import { blockStorageMigrations } from '@strata/block-storage';
import { computeMigrations } from '@strata/compute';

/** Migrations by service database name (the `{service}` of `[database] connection`). */
export const MIGRATIONS = { identity: identityMigrations, image: imageMigrations, network: networkMigrations, block_storage: blockStorageMigrations, compute: computeMigrations } as const;
