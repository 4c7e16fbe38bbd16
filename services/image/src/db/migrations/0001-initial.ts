/** The first image schema: images with properties, tags and members; import tasks; metadata definitions. */
import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(36)';
const NAME = 'varchar(255)';
const TS = 'varchar(40)';

/** Resource types glance's metadefs ship with, so clients can associate namespaces out of the box. */
const RESOURCE_TYPES = ['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server', 'OS::Glance::Snapshot', 'OS::Trove::Instance'];

export const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('images')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME)
      .addColumn('status', 'varchar(30)', (c) => c.notNull())
      .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
      .addColumn('protected', 'boolean', (c) => c.notNull())
      .addColumn('os_hidden', 'boolean', (c) => c.notNull())
      .addColumn('size', 'bigint')
      .addColumn('virtual_size', 'bigint')
      .addColumn('checksum', 'varchar(32)')
      .addColumn('os_hash_algo', 'varchar(64)')
      .addColumn('os_hash_value', 'varchar(128)')
      .addColumn('disk_format', 'varchar(20)')
      .addColumn('container_format', 'varchar(20)')
      .addColumn('min_disk', 'integer', (c) => c.notNull())
      .addColumn('min_ram', 'integer', (c) => c.notNull())
      .addColumn('owner', NAME)
      .addColumn('location', 'text')
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('images_owner').on('images').column('owner').execute();
    await db.schema.createIndex('images_visibility').on('images').column('visibility').execute();
    await db.schema
      .createTable('image_properties')
      .addColumn('image_id', ID, (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name'])
      .execute();
    await db.schema
      .createTable('image_tags')
      .addColumn('image_id', ID, (c) => c.notNull())
      .addColumn('value', NAME, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'value'])
      .execute();
    await db.schema
      .createTable('image_members')
      .addColumn('image_id', ID, (c) => c.notNull())
      .addColumn('member', NAME, (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member'])
      .execute();
    await db.schema.createIndex('image_members_member').on('image_members').column('member').execute();
    await db.schema
      .createTable('tasks')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('image_id', ID, (c) => c.notNull())
      .addColumn('type', 'varchar(30)', (c) => c.notNull())
      .addColumn('status', 'varchar(30)', (c) => c.notNull())
      .addColumn('owner', NAME, (c) => c.notNull())
      .addColumn('user_id', NAME, (c) => c.notNull())
      .addColumn('request_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('input', 'text', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .addColumn('expires_at', TS)
      .execute();
    await db.schema.createIndex('tasks_image').on('tasks').column('image_id').execute();
    await db.schema
      .createTable('metadef_namespaces')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('namespace', NAME, (c) => c.notNull().unique())
      .addColumn('display_name', NAME)
      .addColumn('description', 'text')
      .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
      .addColumn('protected', 'boolean', (c) => c.notNull())
      .addColumn('owner', NAME, (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('metadef_resource_types')
      .addColumn('name', NAME, (c) => c.primaryKey())
      .addColumn('protected', 'boolean', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('metadef_associations')
      .addColumn('namespace_id', ID, (c) => c.notNull())
      .addColumn('resource_type', NAME, (c) => c.notNull())
      .addColumn('prefix', NAME)
      .addColumn('properties_target', NAME)
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .addPrimaryKeyConstraint('metadef_associations_pk', ['namespace_id', 'resource_type'])
      .execute();
    await db.schema
      .createTable('metadef_items')
      .addColumn('namespace_id', ID, (c) => c.notNull())
      .addColumn('kind', 'varchar(10)', (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .addPrimaryKeyConstraint('metadef_items_pk', ['namespace_id', 'kind', 'name'])
      .execute();
    const now = new Date().toISOString();
    await db
      .insertInto('metadef_resource_types')
      .values(RESOURCE_TYPES.map((name) => ({ name, protected: true, created_at: now, updated_at: now })))
      .execute();
  },
};
