/** The first identity schema: domains, projects, users, groups, roles, assignments, catalog, app credentials, revocations. */
import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(64)';
const NAME = 'varchar(255)';
const TS = 'varchar(40)';

export const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('domains')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('projects')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('parent_id', ID)
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addUniqueConstraint('projects_domain_name', ['domain_id', 'name'])
      .execute();
    await db.schema
      .createTable('users')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('password_hash', 'varchar(128)')
      .addColumn('password_expires_at', TS)
      .addColumn('default_project_id', ID)
      .addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addUniqueConstraint('users_domain_name', ['domain_id', 'name'])
      .execute();
    await db.schema
      .createTable('groups')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .addUniqueConstraint('groups_domain_name', ['domain_id', 'name'])
      .execute();
    await db.schema
      .createTable('group_members')
      .addColumn('group_id', ID, (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute();
    await db.schema.createIndex('group_members_user').on('group_members').column('user_id').execute();
    await db.schema
      .createTable('roles')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('domain_key', ID, (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .addUniqueConstraint('roles_domain_name', ['domain_key', 'name'])
      .execute();
    await db.schema
      .createTable('implied_roles')
      .addColumn('prior_role_id', ID, (c) => c.notNull())
      .addColumn('implied_role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('implied_roles_pk', ['prior_role_id', 'implied_role_id'])
      .execute();
    await db.schema
      .createTable('assignments')
      .addColumn('actor_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('actor_id', ID, (c) => c.notNull())
      .addColumn('target_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('target_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addColumn('inherited', 'boolean', (c) => c.notNull())
      .addPrimaryKeyConstraint('assignments_pk', ['actor_type', 'actor_id', 'target_type', 'target_id', 'role_id', 'inherited'])
      .execute();
    await db.schema.createIndex('assignments_target').on('assignments').columns(['target_type', 'target_id']).execute();
    await db.schema.createIndex('assignments_role').on('assignments').column('role_id').execute();
    await db.schema
      .createTable('regions')
      .addColumn('id', NAME, (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('parent_region_id', NAME)
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('services')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('type', NAME, (c) => c.notNull())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('endpoints')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('service_id', ID, (c) => c.notNull())
      .addColumn('interface', 'varchar(16)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('region_id', NAME)
      .addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('app_credentials')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('expires_at', TS)
      .addColumn('unrestricted', 'boolean', (c) => c.notNull())
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('access_rules', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .addUniqueConstraint('app_credentials_user_name', ['user_id', 'name'])
      .execute();
    await db.schema
      .createTable('revocation_events')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('audit_id', ID)
      .addColumn('user_id', ID)
      .addColumn('project_id', ID)
      .addColumn('domain_id', ID)
      .addColumn('app_cred_id', ID)
      .addColumn('issued_before', TS, (c) => c.notNull())
      .addColumn('revoked_at', TS, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('credentials')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('type', NAME, (c) => c.notNull())
      .addColumn('blob', 'text', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
  },
};
