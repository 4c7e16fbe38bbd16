/** Generic volume groups (API 3.11–3.20): group types with specs, groups, their volume types, group snapshots. */
import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(36)';
const PROJECT = 'varchar(64)';
const NAME = 'varchar(255)';
const TS = 'varchar(40)';

export const groups: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('group_types')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull().unique())
      .addColumn('description', NAME)
      .addColumn('is_public', 'boolean', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('group_type_specs')
      .addColumn('group_type_id', ID, (c) => c.notNull())
      .addColumn('key', NAME, (c) => c.notNull())
      .addColumn('value', NAME, (c) => c.notNull())
      .addPrimaryKeyConstraint('group_type_specs_pk', ['group_type_id', 'key'])
      .execute();
    await db.schema
      .createTable('groups')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('user_id', PROJECT, (c) => c.notNull())
      .addColumn('name', NAME)
      .addColumn('description', NAME)
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('availability_zone', NAME, (c) => c.notNull())
      .addColumn('group_type_id', ID, (c) => c.notNull())
      .addColumn('group_snapshot_id', ID)
      .addColumn('source_group_id', ID)
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .execute();
    await db.schema
      .createTable('group_volume_types')
      .addColumn('group_id', ID, (c) => c.notNull())
      .addColumn('volume_type_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('group_volume_types_pk', ['group_id', 'volume_type_id'])
      .execute();
    await db.schema
      .createTable('group_snapshots')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('group_id', ID, (c) => c.notNull())
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('user_id', PROJECT, (c) => c.notNull())
      .addColumn('name', NAME)
      .addColumn('description', NAME)
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('group_type_id', ID, (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .execute();
  },
};
