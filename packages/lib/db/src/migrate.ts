/** Versioned, per-service migrations on Kysely's Migrator, each service with its own history table. */
import { Migrator, type Kysely, type Migration } from 'kysely';

/** A service's migrations: names sort in apply order (`0001-initial`, `0002-...`). */
export interface MigrationSet {
  /** The service, used to name its history tables (`<service>_migration`). */
  readonly service: string;
  readonly migrations: Readonly<Record<string, Migration>>;
}

/** Apply every pending migration of `set`; returns the names applied. Throws the first failure. */
export async function migrateToLatest(db: Kysely<any>, set: MigrationSet): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...set.migrations }) },
    migrationTableName: `${set.service}_migration`,
    migrationLockTableName: `${set.service}_migration_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${set.service}/${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
