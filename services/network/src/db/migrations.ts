/** The network service's migration set, in apply order. */
import type { MigrationSet } from '@strata/db';
import { initial } from './migrations/0001-initial.js';

/** Every network migration by name; names sort in apply order. */
export const networkMigrations: MigrationSet = {
  service: 'network',
  migrations: { '0001-initial': initial },
};
