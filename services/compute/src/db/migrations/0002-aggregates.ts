/** Host aggregates (with availability zones in their metadata) and quota classes. */
import type { Kysely, Migration } from 'kysely';

export const aggregates: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('aggregates')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute();
    await db.schema
      .createTable('aggregate_hosts')
      .addColumn('aggregate_id', 'integer', (c) => c.notNull())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('aggregate_hosts_pk', ['aggregate_id', 'host'])
      .execute();
    await db.schema
      .createTable('aggregate_metadata')
      .addColumn('aggregate_id', 'integer', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('aggregate_metadata_pk', ['aggregate_id', 'key'])
      .execute();
  },
};
