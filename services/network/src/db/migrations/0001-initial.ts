/** The first network schema: networks and segments, subnets, ports and IP allocations, L3, security groups, quotas, agents, subnet pools, metering, tags. */
import type { CreateTableBuilder, Kysely, Migration } from 'kysely';

const ID = 'varchar(64)';
const NAME = 'varchar(255)';
const TS = 'varchar(40)';

function standard<T extends string>(t: CreateTableBuilder<T, never>): CreateTableBuilder<T, never> {
  return t
    .addColumn('description', 'varchar(1024)', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', TS, (c) => c.notNull())
    .addColumn('updated_at', TS, (c) => c.notNull());
}

export const initial: Migration = {
  async up(db: Kysely<any>) {
    await standard(
      db.schema
        .createTable('networks')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('name', NAME, (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
        .addColumn('shared', 'boolean', (c) => c.notNull())
        .addColumn('external', 'boolean', (c) => c.notNull())
        .addColumn('mtu', 'integer', (c) => c.notNull())
        .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
        .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('networks_project').on('networks').column('project_id').execute();

    await db.schema
      .createTable('network_segments')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('network_id', ID, (c) => c.notNull())
      .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('physical_network', NAME)
      .addColumn('segmentation_id', 'integer')
      .addColumn('alloc_key', 'varchar(320)', (c) => c.notNull().unique())
      .addColumn('segment_index', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('network_segments_network').on('network_segments').column('network_id').execute();

    await standard(
      db.schema
        .createTable('subnets')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('network_id', ID, (c) => c.notNull())
        .addColumn('name', NAME, (c) => c.notNull())
        .addColumn('ip_version', 'integer', (c) => c.notNull())
        .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
        .addColumn('gateway_ip', 'varchar(64)')
        .addColumn('enable_dhcp', 'boolean', (c) => c.notNull())
        .addColumn('ipv6_ra_mode', 'varchar(32)')
        .addColumn('ipv6_address_mode', 'varchar(32)')
        .addColumn('subnetpool_id', ID)
        .addColumn('dns_nameservers', 'text', (c) => c.notNull())
        .addColumn('host_routes', 'text', (c) => c.notNull())
        .addColumn('allocation_pools', 'text', (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('subnets_network').on('subnets').column('network_id').execute();
    await db.schema.createIndex('subnets_project').on('subnets').column('project_id').execute();

    await standard(
      db.schema
        .createTable('ports')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('network_id', ID, (c) => c.notNull())
        .addColumn('name', NAME, (c) => c.notNull())
        .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
        .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('device_id', NAME, (c) => c.notNull())
        .addColumn('device_owner', NAME, (c) => c.notNull())
        .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
        .addColumn('binding_host_id', NAME, (c) => c.notNull())
        .addColumn('binding_vif_type', 'varchar(64)', (c) => c.notNull())
        .addColumn('binding_vif_details', 'text', (c) => c.notNull())
        .addColumn('binding_vnic_type', 'varchar(64)', (c) => c.notNull())
        .addColumn('binding_profile', 'text', (c) => c.notNull())
        .addColumn('allowed_address_pairs', 'text', (c) => c.notNull())
        .addColumn('extra_dhcp_opts', 'text', (c) => c.notNull())
        .addUniqueConstraint('ports_network_mac', ['network_id', 'mac_address']),
    ).execute();
    await db.schema.createIndex('ports_device').on('ports').column('device_id').execute();
    await db.schema.createIndex('ports_project').on('ports').column('project_id').execute();
    await db.schema.createIndex('ports_host').on('ports').column('binding_host_id').execute();

    await db.schema
      .createTable('ip_allocations')
      .addColumn('subnet_id', ID, (c) => c.notNull())
      .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
      .addColumn('ip_sort', 'varchar(32)', (c) => c.notNull())
      .addColumn('network_id', ID, (c) => c.notNull())
      .addColumn('port_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('ip_allocations_pk', ['subnet_id', 'ip_address'])
      .execute();
    await db.schema.createIndex('ip_allocations_sort').on('ip_allocations').columns(['subnet_id', 'ip_sort']).execute();
    await db.schema.createIndex('ip_allocations_address').on('ip_allocations').column('ip_address').execute();
    await db.schema.createIndex('ip_allocations_port').on('ip_allocations').column('port_id').execute();
    await db.schema.createIndex('ip_allocations_network').on('ip_allocations').column('network_id').execute();

    await db.schema
      .createTable('port_security_groups')
      .addColumn('port_id', ID, (c) => c.notNull())
      .addColumn('security_group_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
      .execute();
    await db.schema.createIndex('port_security_groups_group').on('port_security_groups').column('security_group_id').execute();

    await standard(
      db.schema
        .createTable('routers')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('name', NAME, (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
        .addColumn('gw_port_id', ID)
        .addColumn('enable_snat', 'boolean', (c) => c.notNull())
        .addColumn('routes', 'text', (c) => c.notNull())
        .addColumn('distributed', 'boolean', (c) => c.notNull())
        .addColumn('ha', 'boolean', (c) => c.notNull())
        .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull())
        .addColumn('host', NAME),
    ).execute();
    await db.schema.createIndex('routers_project').on('routers').column('project_id').execute();

    await standard(
      db.schema
        .createTable('floating_ips')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('floating_network_id', ID, (c) => c.notNull())
        .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
        .addColumn('floating_port_id', ID, (c) => c.notNull())
        .addColumn('fixed_port_id', ID)
        .addColumn('fixed_ip_address', 'varchar(64)')
        .addColumn('router_id', ID)
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addUniqueConstraint('floating_ips_fixed', ['floating_network_id', 'fixed_port_id', 'fixed_ip_address']),
    ).execute();
    await db.schema.createIndex('floating_ips_port').on('floating_ips').column('fixed_port_id').execute();
    await db.schema.createIndex('floating_ips_router').on('floating_ips').column('router_id').execute();

    await standard(
      db.schema
        .createTable('security_groups')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('name', NAME, (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('security_groups_project').on('security_groups').column('project_id').execute();
    await db.schema
      .createTable('default_security_groups')
      .addColumn('project_id', ID, (c) => c.primaryKey())
      .addColumn('security_group_id', ID, (c) => c.notNull())
      .execute();
    await standard(
      db.schema
        .createTable('security_group_rules')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('security_group_id', ID, (c) => c.notNull())
        .addColumn('direction', 'varchar(16)', (c) => c.notNull())
        .addColumn('ethertype', 'varchar(8)', (c) => c.notNull())
        .addColumn('protocol', 'varchar(40)')
        .addColumn('port_range_min', 'integer')
        .addColumn('port_range_max', 'integer')
        .addColumn('remote_ip_prefix', 'varchar(64)')
        .addColumn('remote_group_id', ID),
    ).execute();
    await db.schema.createIndex('security_group_rules_group').on('security_group_rules').column('security_group_id').execute();
    await db.schema.createIndex('security_group_rules_remote').on('security_group_rules').column('remote_group_id').execute();

    await db.schema
      .createTable('quotas')
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('resource', 'varchar(64)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
      .execute();
    await db.schema
      .createTable('quota_locks')
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('resource', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('quota_locks_pk', ['project_id', 'resource'])
      .execute();

    await db.schema
      .createTable('agents')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('agent_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('binary', 'varchar(64)', (c) => c.notNull())
      .addColumn('topic', 'varchar(64)', (c) => c.notNull())
      .addColumn('host', NAME, (c) => c.notNull())
      .addColumn('availability_zone', NAME, (c) => c.notNull())
      .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
      .addColumn('description', 'varchar(1024)', (c) => c.notNull())
      .addColumn('configurations', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addColumn('started_at', TS, (c) => c.notNull())
      .addColumn('heartbeat_timestamp', TS, (c) => c.notNull())
      .addUniqueConstraint('agents_type_host', ['agent_type', 'host'])
      .execute();
    await db.schema
      .createTable('network_dhcp_agents')
      .addColumn('network_id', ID, (c) => c.notNull())
      .addColumn('agent_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('network_dhcp_agents_pk', ['network_id', 'agent_id'])
      .execute();

    await standard(
      db.schema
        .createTable('subnet_pools')
        .addColumn('id', ID, (c) => c.primaryKey())
        .addColumn('project_id', ID, (c) => c.notNull())
        .addColumn('name', NAME, (c) => c.notNull())
        .addColumn('ip_version', 'integer', (c) => c.notNull())
        .addColumn('prefixes', 'text', (c) => c.notNull())
        .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
        .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
        .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
        .addColumn('shared', 'boolean', (c) => c.notNull())
        .addColumn('is_default', 'boolean', (c) => c.notNull())
        .addColumn('default_quota', 'integer')
        .addColumn('address_scope_id', ID),
    ).execute();

    await db.schema
      .createTable('metering_labels')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('description', 'varchar(1024)', (c) => c.notNull())
      .addColumn('shared', 'boolean', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('metering_label_rules')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('metering_label_id', ID, (c) => c.notNull())
      .addColumn('direction', 'varchar(16)', (c) => c.notNull())
      .addColumn('remote_ip_prefix', 'varchar(64)')
      .addColumn('source_ip_prefix', 'varchar(64)')
      .addColumn('destination_ip_prefix', 'varchar(64)')
      .addColumn('excluded', 'boolean', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('tags')
      .addColumn('resource_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('resource_id', ID, (c) => c.notNull())
      .addColumn('tag', NAME, (c) => c.notNull())
      .addPrimaryKeyConstraint('tags_pk', ['resource_type', 'resource_id', 'tag'])
      .execute();
  },
};
