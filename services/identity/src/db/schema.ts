/** Kysely table types of the identity database; imported only by objects/ and migrations. */
/** A boolean column: written as boolean, read back as 0/1 on SQLite and MariaDB. */
export type BoolColumn = boolean | number;

export interface DomainTable {
  id: string;
  name: string;
  description: string;
  enabled: BoolColumn;
  extra: string;
  created_at: string;
}

export interface ProjectTable {
  id: string;
  name: string;
  domain_id: string;
  parent_id: string | null;
  description: string;
  enabled: BoolColumn;
  tags: string;
  extra: string;
  created_at: string;
}

export interface UserTable {
  id: string;
  name: string;
  domain_id: string;
  enabled: BoolColumn;
  password_hash: string | null;
  password_expires_at: string | null;
  default_project_id: string | null;
  extra: string;
  created_at: string;
}

export interface GroupTable {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  extra: string;
}

export interface GroupMemberTable {
  group_id: string;
  user_id: string;
}

export interface RoleTable {
  id: string;
  name: string;
  /** The owning domain, or GLOBAL_ROLE_DOMAIN for global roles (so the unique index holds). */
  domain_key: string;
  description: string;
  extra: string;
}

export interface ImpliedRoleTable {
  prior_role_id: string;
  implied_role_id: string;
}

export interface AssignmentTable {
  actor_type: 'user' | 'group';
  actor_id: string;
  target_type: 'project' | 'domain' | 'system';
  target_id: string;
  role_id: string;
  inherited: BoolColumn;
}

export interface RegionTable {
  id: string;
  description: string;
  parent_region_id: string | null;
  extra: string;
}

export interface ServiceTable {
  id: string;
  type: string;
  name: string;
  description: string;
  enabled: BoolColumn;
  extra: string;
}

export interface EndpointTable {
  id: string;
  service_id: string;
  interface: string;
  url: string;
  region_id: string | null;
  enabled: BoolColumn;
  extra: string;
}

export interface AppCredentialTable {
  id: string;
  name: string;
  user_id: string;
  project_id: string;
  secret_hash: string;
  description: string;
  expires_at: string | null;
  unrestricted: BoolColumn;
  roles: string;
  access_rules: string;
  created_at: string;
}

export interface RevocationEventTable {
  id: string;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  domain_id: string | null;
  app_cred_id: string | null;
  issued_before: string;
  revoked_at: string;
}

export interface CredentialTable {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  blob: string;
  extra: string;
}

export interface TrustTable {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: BoolColumn;
  /** ISO time with microseconds, or null for a trust that never expires. */
  expires_at: string | null;
  remaining_uses: number | null;
  allow_redelegation: BoolColumn;
  redelegated_trust_id: string | null;
  redelegation_count: number | null;
  extra: string;
  created_at: string;
}

export interface TrustRoleTable {
  trust_id: string;
  role_id: string;
}

export interface OAuthConsumerTable {
  id: string;
  description: string;
  secret: string;
  extra: string;
}

export interface PolicyTable {
  id: string;
  type: string;
  blob: string;
  extra: string;
}

export interface EndpointGroupTable {
  id: string;
  name: string;
  description: string;
  /** JSON object of endpoint attributes an endpoint must match. */
  filters: string;
}

export interface ProjectEndpointGroupTable {
  endpoint_group_id: string;
  project_id: string;
}

export interface ProjectEndpointTable {
  endpoint_id: string;
  project_id: string;
}

export interface DomainConfigOptionTable {
  domain_id: string;
  group_name: string;
  option_name: string;
  /** JSON value. */
  value: string;
  sensitive: BoolColumn;
}

export interface AccessRuleTable {
  id: string;
  user_id: string;
  service: string;
  path: string;
  method: string;
}

export interface AppCredAccessRuleTable {
  app_cred_id: string;
  access_rule_id: string;
}

/** The identity database. */
export interface IdentityDatabase {
  domains: DomainTable;
  projects: ProjectTable;
  users: UserTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  roles: RoleTable;
  implied_roles: ImpliedRoleTable;
  assignments: AssignmentTable;
  regions: RegionTable;
  services: ServiceTable;
  endpoints: EndpointTable;
  app_credentials: AppCredentialTable;
  revocation_events: RevocationEventTable;
  credentials: CredentialTable;
  trusts: TrustTable;
  trust_roles: TrustRoleTable;
  oauth_consumers: OAuthConsumerTable;
  policies: PolicyTable;
  endpoint_groups: EndpointGroupTable;
  project_endpoint_groups: ProjectEndpointGroupTable;
  project_endpoints: ProjectEndpointTable;
  domain_config_options: DomainConfigOptionTable;
  access_rules: AccessRuleTable;
  app_cred_access_rules: AppCredAccessRuleTable;
}

/** domain_key of a role that belongs to no domain. */
export const GLOBAL_ROLE_DOMAIN = '<<global>>';
