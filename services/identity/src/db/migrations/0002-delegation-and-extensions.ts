/** Second identity schema: trusts, OAuth1 consumers, policies, endpoint groups, domain configs and access rules as rows of their own. */
import { randomUUID } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

const ID = 'varchar(64)';
const NAME = 'varchar(255)';
const TS = 'varchar(40)';

interface LegacyRule {
  id?: unknown;
  service?: unknown;
  path?: unknown;
  method?: unknown;
}

/**
 * Moves the access rules 0001 kept as JSON inside each application credential into the
 * `access_rules` table, so a rule outlives the credentials that use it (keystone's model).
 */
async function moveAccessRules(db: Kysely<any>): Promise<void> {
  const creds = (await db.selectFrom('app_credentials').select(['id', 'user_id', 'access_rules']).execute()) as Array<{ id: string; user_id: string; access_rules: string | null }>;
  const known = new Map<string, string>();
  for (const c of creds) {
    let rules: LegacyRule[] = [];
    try {
      rules = JSON.parse(c.access_rules ?? '[]') as LegacyRule[];
    } catch {
      rules = [];
    }
    for (const r of Array.isArray(rules) ? rules : []) {
      const service = String(r.service ?? '');
      const path = String(r.path ?? '');
      const method = String(r.method ?? '');
      const key = `${c.user_id}\n${service}\n${path}\n${method}`;
      let ruleId = known.get(key);
      if (ruleId === undefined) {
        ruleId = typeof r.id === 'string' && r.id !== '' ? r.id : randomUUID().replace(/-/g, '');
        known.set(key, ruleId);
        await db.insertInto('access_rules').values({ id: ruleId, user_id: c.user_id, service, path, method }).execute();
      }
      await db.insertInto('app_cred_access_rules').values({ app_cred_id: c.id, access_rule_id: ruleId }).execute();
    }
    await db.updateTable('app_credentials').set({ access_rules: '[]' }).where('id', '=', c.id).execute();
  }
}

/** Tables for OS-TRUST, OS-OAUTH1 consumers, /v3/policies, OS-EP-FILTER, domain configs and access rules. */
export const delegationAndExtensions: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('trusts')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('trustor_user_id', ID, (c) => c.notNull())
      .addColumn('trustee_user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('impersonation', 'boolean', (c) => c.notNull())
      .addColumn('expires_at', TS)
      .addColumn('remaining_uses', 'integer')
      .addColumn('allow_redelegation', 'boolean', (c) => c.notNull())
      .addColumn('redelegated_trust_id', ID)
      .addColumn('redelegation_count', 'integer')
      .addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('created_at', TS, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('trusts_trustor').on('trusts').column('trustor_user_id').execute();
    await db.schema.createIndex('trusts_trustee').on('trusts').column('trustee_user_id').execute();
    await db.schema
      .createTable('trust_roles')
      .addColumn('trust_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('trust_roles_pk', ['trust_id', 'role_id'])
      .execute();
    await db.schema
      .createTable('oauth_consumers')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('secret', NAME, (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('policies')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('type', NAME, (c) => c.notNull())
      .addColumn('blob', 'text', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('endpoint_groups')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', NAME, (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('filters', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('project_endpoint_groups')
      .addColumn('endpoint_group_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('project_endpoint_groups_pk', ['endpoint_group_id', 'project_id'])
      .execute();
    await db.schema
      .createTable('project_endpoints')
      .addColumn('endpoint_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('project_endpoints_pk', ['endpoint_id', 'project_id'])
      .execute();
    await db.schema
      .createTable('domain_config_options')
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('group_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('option_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('sensitive', 'boolean', (c) => c.notNull())
      .addPrimaryKeyConstraint('domain_config_options_pk', ['domain_id', 'group_name', 'option_name'])
      .execute();
    await db.schema
      .createTable('access_rules')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('service', 'varchar(64)', (c) => c.notNull())
      .addColumn('path', 'varchar(225)', (c) => c.notNull())
      .addColumn('method', 'varchar(16)', (c) => c.notNull())
      .addUniqueConstraint('access_rules_user_rule', ['user_id', 'service', 'path', 'method'])
      .execute();
    await db.schema
      .createTable('app_cred_access_rules')
      .addColumn('app_cred_id', ID, (c) => c.notNull())
      .addColumn('access_rule_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('app_cred_access_rules_pk', ['app_cred_id', 'access_rule_id'])
      .execute();
    await db.schema.createIndex('app_cred_access_rules_rule').on('app_cred_access_rules').column('access_rule_id').execute();
    await db.schema.createIndex('credentials_user').on('credentials').column('user_id').execute();
    await moveAccessRules(db);
  },
};

