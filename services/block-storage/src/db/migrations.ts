/** The block-storage service's migration set, in apply order. */
import { idCountersMigration, type MigrationSet } from '@strata/db';
import { initial } from './migrations/0001-initial.js';
import { groups } from './migrations/0002-groups.js';

/** Every block-storage migration by name; names sort in apply order. */
export const blockStorageMigrations: MigrationSet = {
  service: 'block_storage',
  migrations: { '0001-initial': initial, '0002-groups': groups, '0003-id-counters': idCountersMigration },
};
