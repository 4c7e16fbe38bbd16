/** The identity service's migration set, in apply order. */
import type { MigrationSet } from '@strata/db';
import { initial } from './migrations/0001-initial.js';

export const identityMigrations: MigrationSet = {
  service: 'identity',
  migrations: { '0001-initial': initial },
};
