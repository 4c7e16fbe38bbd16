/** The compute service's migration set, in apply order. */
import { idCountersMigration, type MigrationSet } from '@strata/db';
import { initial } from './migrations/0001-initial.js';
import { aggregates } from './migrations/0002-aggregates.js';
import { diskConfigSystemMetadata } from './migrations/0003-disk-config-system-metadata.js';

/** Every compute migration by name; names sort in apply order. */
export const computeMigrations: MigrationSet = {
  service: 'compute',
  migrations: { '0001-initial': initial, '0002-aggregates': aggregates, '0003-disk-config-system-metadata': diskConfigSystemMetadata, '0004-id-counters': idCountersMigration },
};
