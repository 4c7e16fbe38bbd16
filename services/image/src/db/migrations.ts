/** The image service's migration set, in apply order. */
import type { MigrationSet } from '@strata/db';
import { initial } from './migrations/0001-initial.js';

export const imageMigrations: MigrationSet = {
  service: 'image',
  migrations: { '0001-initial': initial },
};
