/** The first compute schema: instances, flavors, keypairs, quotas, services, compute nodes, claims, actions, groups, attachments. */
import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(64)';
const NAME = 'varchar(255)';
const TS = 'varchar(40)';

export const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('instances')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('hostname', NAME, (c) => c.notNull())
      .addColumn('host', NAME)
      .addColumn('node', NAME)
      .addColumn('availability_zone', NAME)
      .addColumn('flavor_id', ID, (c) => c.notNull())
      .addColumn('flavor', 'text', (c) => c.notNull())
      .addColumn('new_flavor', 'text')
      .addColumn('old_flavor', 'text')
      .addColumn('image_ref', ID, (c) => c.notNull())
      .addColumn('vm_state', 'varchar(32)', (c) => c.notNull())
      .addColumn('task_state', 'varchar(64)')
      .addColumn('power_state', 'integer', (c) => c.notNull())
      .addColumn('key_name', NAME)
      .addColumn('key_data', 'text')
      .addColumn('user_data', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('config_drive', 'varchar(16)', (c) => c.notNull())
      .addColumn('access_ip_v4', 'varchar(64)', (c) => c.notNull())
      .addColumn('access_ip_v6', 'varchar(64)', (c) => c.notNull())
      .addColumn('reservation_id', ID, (c) => c.notNull())
      .addColumn('launch_index', 'integer', (c) => c.notNull())
      .addColumn('locked', 'boolean', (c) => c.notNull())
      .addColumn('locked_by', 'varchar(16)')
      .addColumn('locked_reason', 'text')
      .addColumn('requested_networks', 'text', (c) => c.notNull())
      .addColumn('block_devices', 'text', (c) => c.notNull())
      .addColumn('security_groups', 'text', (c) => c.notNull())
      .addColumn('scheduler_hints', 'text', (c) => c.notNull())
      .addColumn('network_info', 'text', (c) => c.notNull())
      .addColumn('fault', 'text')
      .addColumn('server_group_id', ID)
      .addColumn('root_device_name', NAME)
      .addColumn('progress', 'integer', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .addColumn('launched_at', TS)
      .addColumn('terminated_at', TS)
      .addColumn('deleted', 'boolean', (c) => c.notNull())
      .addColumn('deleted_at', TS)
      .execute();
    await db.schema.createIndex('instances_project').on('instances').columns(['project_id', 'deleted']).execute();
    await db.schema.createIndex('instances_host').on('instances').columns(['host']).execute();
    await db.schema
      .createTable('flavors')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull().unique())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('root_gb', 'integer', (c) => c.notNull())
      .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
      .addColumn('swap', 'integer', (c) => c.notNull())
      .addColumn('rxtx_factor', 'double precision', (c) => c.notNull())
      .addColumn('is_public', 'boolean', (c) => c.notNull())
      .addColumn('disabled', 'boolean', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('extra_specs', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('flavor_projects')
      .addColumn('flavor_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('flavor_projects_pk', ['flavor_id', 'project_id'])
      .execute();
    await db.schema
      .createTable('keypairs')
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('fingerprint', NAME, (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addPrimaryKeyConstraint('keypairs_pk', ['user_id', 'name'])
      .execute();
    await db.schema
      .createTable('quotas')
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('resource', 'varchar(64)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
      .execute();
    await db.schema
      .createTable('quota_usages')
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('resource', 'varchar(64)', (c) => c.notNull())
      .addColumn('in_use', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quota_usages_pk', ['project_id', 'resource'])
      .execute();
    await db.schema
      .createTable('services')
      .addColumn('uuid', ID, (c) => c.primaryKey())
      .addColumn('num_id', 'integer', (c) => c.notNull().unique())
      .addColumn('host', NAME, (c) => c.notNull())
      .addColumn('binary', 'varchar(64)', (c) => c.notNull())
      .addColumn('topic', 'varchar(64)', (c) => c.notNull())
      .addColumn('disabled', 'boolean', (c) => c.notNull())
      .addColumn('disabled_reason', 'text')
      .addColumn('forced_down', 'boolean', (c) => c.notNull())
      .addColumn('report_count', 'integer', (c) => c.notNull())
      .addColumn('last_seen_up', TS)
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .addUniqueConstraint('services_host_binary', ['host', 'binary'])
      .execute();
    await db.schema
      .createTable('compute_nodes')
      .addColumn('uuid', ID, (c) => c.primaryKey())
      .addColumn('num_id', 'integer', (c) => c.notNull().unique())
      .addColumn('host', NAME, (c) => c.notNull().unique())
      .addColumn('hypervisor_hostname', NAME, (c) => c.notNull())
      .addColumn('hypervisor_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('hypervisor_version', 'integer', (c) => c.notNull())
      .addColumn('host_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('availability_zone', NAME, (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('local_gb', 'integer', (c) => c.notNull())
      .addColumn('vcpus_used', 'integer', (c) => c.notNull())
      .addColumn('memory_mb_used', 'integer', (c) => c.notNull())
      .addColumn('local_gb_used', 'integer', (c) => c.notNull())
      .addColumn('running_vms', 'integer', (c) => c.notNull())
      .addColumn('cpu_allocation_ratio', 'double precision', (c) => c.notNull())
      .addColumn('ram_allocation_ratio', 'double precision', (c) => c.notNull())
      .addColumn('disk_allocation_ratio', 'double precision', (c) => c.notNull())
      .addColumn('cpu_info', 'text', (c) => c.notNull())
      .addColumn('updated_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('allocations')
      .addColumn('instance_id', ID, (c) => c.primaryKey())
      .addColumn('host', NAME, (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('disk_gb', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('instance_actions')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('request_id', ID, (c) => c.notNull())
      .addColumn('instance_id', ID, (c) => c.notNull())
      .addColumn('action', 'varchar(64)', (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('start_time', TS, (c) => c.notNull())
      .addColumn('finish_time', TS)
      .addColumn('message', 'text')
      .addColumn('updated_at', TS, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('instance_actions_instance').on('instance_actions').columns(['instance_id', 'request_id']).execute();
    await db.schema
      .createTable('instance_action_events')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('action_id', ID, (c) => c.notNull())
      .addColumn('event', NAME, (c) => c.notNull())
      .addColumn('start_time', TS, (c) => c.notNull())
      .addColumn('finish_time', TS)
      .addColumn('result', 'varchar(32)')
      .addColumn('traceback', 'text')
      .addColumn('host', NAME)
      .addColumn('details', 'text')
      .execute();
    await db.schema.createIndex('instance_action_events_action').on('instance_action_events').columns(['action_id']).execute();
    await db.schema
      .createTable('server_groups')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('policy', 'varchar(64)', (c) => c.notNull())
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('server_group_members')
      .addColumn('group_id', ID, (c) => c.notNull())
      .addColumn('instance_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('server_group_members_pk', ['group_id', 'instance_id'])
      .execute();
    await db.schema
      .createTable('volume_attachments')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('instance_id', ID, (c) => c.notNull())
      .addColumn('volume_id', ID, (c) => c.notNull())
      .addColumn('device', NAME, (c) => c.notNull())
      .addColumn('tag', NAME)
      .addColumn('delete_on_termination', 'boolean', (c) => c.notNull())
      .addColumn('attachment_id', ID)
      .addColumn('created_at', TS, (c) => c.notNull())
      .addUniqueConstraint('volume_attachments_instance_volume', ['instance_id', 'volume_id'])
      .execute();
  },
};
