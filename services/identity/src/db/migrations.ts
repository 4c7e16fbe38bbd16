/** The identity service's migration set, in apply order. */
import type { MigrationSet } from '@strata/db';
import { initial } from './migrations/0001-initial.js';
import { delegationAndExtensions } from './migrations/0002-delegation-and-extensions.js';

/** Every identity migration by name; names sort in apply order. */
export const identityMigrations: MigrationSet = {
  service: 'identity',
  migrations: { '0001-initial': initial, '0002-delegation-and-extensions': delegationAndExtensions },
};
