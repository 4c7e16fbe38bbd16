/** The first block-storage schema: volumes, snapshots, types, attachments, quotas, services and pools, messages, transfers, QoS. */
import { randomUUID } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(36)';
const PROJECT = 'varchar(64)';
const NAME = 'varchar(255)';
const TS = 'varchar(40)';
const STATUS = 'varchar(32)';

/** Id of the `__DEFAULT__` volume type this migration creates: random per deployment, as cinder's is. */
export const DEFAULT_TYPE_NAME = '__DEFAULT__';

export const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('volumes')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('user_id', PROJECT, (c) => c.notNull())
      .addColumn('display_name', NAME)
      .addColumn('display_description', 'text')
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('status', STATUS, (c) => c.notNull())
      .addColumn('attach_status', STATUS, (c) => c.notNull())
      .addColumn('previous_status', STATUS)
      .addColumn('migration_status', STATUS)
      .addColumn('availability_zone', NAME, (c) => c.notNull())
      .addColumn('host', NAME)
      .addColumn('volume_type_id', ID, (c) => c.notNull())
      .addColumn('snapshot_id', ID)
      .addColumn('source_volid', ID)
      .addColumn('group_id', ID)
      .addColumn('bootable', 'boolean', (c) => c.notNull())
      .addColumn('multiattach', 'boolean', (c) => c.notNull())
      .addColumn('replication_status', STATUS)
      .addColumn('provider_location', 'text')
      .addColumn('provider_id', NAME)
      .addColumn('encryption_key_id', ID)
      .addColumn('service_uuid', ID)
      .addColumn('use_quota', 'boolean', (c) => c.notNull())
      .addColumn('admin_metadata', 'text', (c) => c.notNull())
      .addColumn('image_metadata', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .addColumn('launched_at', TS)
      .addColumn('terminated_at', TS)
      .execute();
    await db.schema.createIndex('volumes_project_idx').on('volumes').columns(['project_id', 'created_at']).execute();
    await db.schema.createIndex('volumes_host_idx').on('volumes').column('host').execute();

    for (const table of ['volume_metadata', 'snapshot_metadata']) {
      await db.schema
        .createTable(table)
        .addColumn('resource_id', ID, (c) => c.notNull())
        .addColumn('key', NAME, (c) => c.notNull())
        .addColumn('value', NAME, (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ['resource_id', 'key'])
        .execute();
    }

    await db.schema
      .createTable('snapshots')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('volume_id', ID, (c) => c.notNull())
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('user_id', PROJECT, (c) => c.notNull())
      .addColumn('display_name', NAME)
      .addColumn('display_description', 'text')
      .addColumn('status', STATUS, (c) => c.notNull())
      .addColumn('progress', 'varchar(16)', (c) => c.notNull())
      .addColumn('volume_size', 'integer', (c) => c.notNull())
      .addColumn('volume_type_id', ID, (c) => c.notNull())
      .addColumn('provider_location', 'text')
      .addColumn('group_snapshot_id', ID)
      .addColumn('use_quota', 'boolean', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .execute();
    await db.schema.createIndex('snapshots_volume_idx').on('snapshots').column('volume_id').execute();

    await db.schema
      .createTable('volume_types')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull().unique())
      .addColumn('description', NAME)
      .addColumn('is_public', 'boolean', (c) => c.notNull())
      .addColumn('qos_specs_id', ID)
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .execute();
    await db.schema
      .createTable('volume_type_extra_specs')
      .addColumn('volume_type_id', ID, (c) => c.notNull())
      .addColumn('key', NAME, (c) => c.notNull())
      .addColumn('value', NAME, (c) => c.notNull())
      .addPrimaryKeyConstraint('volume_type_extra_specs_pk', ['volume_type_id', 'key'])
      .execute();
    await db.schema
      .createTable('volume_type_projects')
      .addColumn('volume_type_id', ID, (c) => c.notNull())
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addPrimaryKeyConstraint('volume_type_projects_pk', ['volume_type_id', 'project_id'])
      .execute();
    await db.schema
      .createTable('volume_type_encryption')
      .addColumn('volume_type_id', ID, (c) => c.primaryKey())
      .addColumn('encryption_id', ID, (c) => c.notNull())
      .addColumn('provider', NAME, (c) => c.notNull())
      .addColumn('control_location', 'varchar(16)', (c) => c.notNull())
      .addColumn('cipher', NAME)
      .addColumn('key_size', 'integer')
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .execute();
    await db.schema
      .createTable('default_volume_types')
      .addColumn('project_id', PROJECT, (c) => c.primaryKey())
      .addColumn('volume_type_id', ID, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('volume_attachments')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('volume_id', ID, (c) => c.notNull())
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('instance_uuid', ID)
      .addColumn('attached_host', NAME)
      .addColumn('mountpoint', NAME)
      .addColumn('attach_status', STATUS, (c) => c.notNull())
      .addColumn('attach_mode', 'varchar(8)', (c) => c.notNull())
      .addColumn('connector', 'text')
      .addColumn('connection_info', 'text')
      .addColumn('attach_time', TS)
      .addColumn('detach_time', TS)
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .execute();
    await db.schema.createIndex('volume_attachments_volume_idx').on('volume_attachments').column('volume_id').execute();

    await db.schema
      .createTable('quotas')
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('resource', NAME, (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
      .execute();
    await db.schema
      .createTable('quota_classes')
      .addColumn('class_name', NAME, (c) => c.notNull())
      .addColumn('resource', NAME, (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quota_classes_pk', ['class_name', 'resource'])
      .execute();
    await db.schema
      .createTable('quota_usages')
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('resource', NAME, (c) => c.notNull())
      .addColumn('in_use', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quota_usages_pk', ['project_id', 'resource'])
      .execute();

    await db.schema
      .createTable('services')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', ID, (c) => c.notNull())
      .addColumn('host', NAME, (c) => c.notNull())
      .addColumn('binary', 'varchar(64)', (c) => c.notNull())
      .addColumn('topic', NAME, (c) => c.notNull())
      .addColumn('availability_zone', NAME, (c) => c.notNull())
      .addColumn('disabled', 'boolean', (c) => c.notNull())
      .addColumn('disabled_reason', NAME)
      .addColumn('report_count', 'integer', (c) => c.notNull())
      .addColumn('frozen', 'boolean', (c) => c.notNull())
      .addColumn('capabilities', 'text')
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .addUniqueConstraint('services_host_binary', ['host', 'binary'])
      .execute();
    await db.schema
      .createTable('pools')
      .addColumn('backend', NAME, (c) => c.notNull())
      .addColumn('pool', NAME, (c) => c.notNull())
      .addColumn('total_capacity_gb', 'double precision', (c) => c.notNull())
      .addColumn('free_capacity_gb', 'double precision', (c) => c.notNull())
      .addColumn('allocated_capacity_gb', 'integer', (c) => c.notNull())
      .addColumn('reserved_percentage', 'integer', (c) => c.notNull())
      .addColumn('max_over_subscription_ratio', 'double precision', (c) => c.notNull())
      .addColumn('thin_provisioning_support', 'boolean', (c) => c.notNull())
      .addColumn('thick_provisioning_support', 'boolean', (c) => c.notNull())
      .addColumn('capabilities', 'text', (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .addPrimaryKeyConstraint('pools_pk', ['backend', 'pool'])
      .execute();

    await db.schema
      .createTable('messages')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('project_id', PROJECT, (c) => c.notNull())
      .addColumn('request_id', NAME, (c) => c.notNull())
      .addColumn('resource_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('resource_uuid', ID)
      .addColumn('event_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('message_level', 'varchar(16)', (c) => c.notNull())
      .addColumn('action_id', 'varchar(16)', (c) => c.notNull())
      .addColumn('detail_id', 'varchar(16)', (c) => c.notNull())
      .addColumn('user_message', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('expires_at', TS, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('transfers')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('volume_id', ID, (c) => c.notNull())
      .addColumn('display_name', NAME)
      .addColumn('salt', 'varchar(64)', (c) => c.notNull())
      .addColumn('crypt_hash', 'varchar(128)', (c) => c.notNull())
      .addColumn('no_snapshots', 'boolean', (c) => c.notNull())
      .addColumn('source_project_id', PROJECT, (c) => c.notNull())
      .addColumn('destination_project_id', PROJECT)
      .addColumn('accepted', 'boolean', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS)
      .execute();

    await db.schema
      .createTable('qos_specs')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull().unique())
      .addColumn('consumer', 'varchar(16)', (c) => c.notNull())
      .addColumn('specs', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();

    // cinder's default type, present in every deployment (cinder's migration 136 adds it).
    await db
      .insertInto('volume_types')
      .values({ id: randomUUID(), name: DEFAULT_TYPE_NAME, description: 'Default Volume Type', is_public: true, qos_specs_id: null, created_at: new Date().toISOString(), updated_at: null })
      .execute();
  },
};
