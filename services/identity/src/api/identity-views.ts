/** Builds every identity response body, exactly as keystone's API reference shows them. */
import type { Domain } from '../objects/domain.js';
import type { Project } from '../objects/project.js';
import type { Group, User } from '../objects/user.js';
import type { Role } from '../objects/role.js';
import type { Endpoint, Region, Service } from '../objects/catalog.js';
import type { AppCredential } from '../objects/app-credential.js';
import type { AccessRule } from '../objects/access-rule.js';
import type { Credential } from '../objects/credential.js';
import type { Trust } from '../objects/trust.js';
import type { OAuthConsumer } from '../objects/oauth-consumer.js';
import type { Policy } from '../objects/policy.js';
import type { EndpointGroup } from '../objects/endpoint-filter.js';
import type { Ec2Credential } from '../credential-api.js';
import type { AssignmentView, CatalogEntry } from '../identity-api.js';
import type { ValidatedToken } from '../identity-context.js';
import { microsUtc } from '../timestamps.js';

/** Keystone's timestamp style: microseconds and a Z. */
export function keystoneTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A collection wrapper with keystone's links. */
export function collection(key: string, items: unknown[], selfUrl: string): object {
  return { [key]: items, links: { self: selfUrl, previous: null, next: null } };
}

export function domainView(d: Domain, base: string): object {
  return { ...d.extra, id: d.id, name: d.name, description: d.description, enabled: d.enabled, tags: [], options: {}, links: { self: `${base}/v3/domains/${d.id}` } };
}

/** A project; a domain seen as a project has no domain and no parent. */
export function projectView(p: Project, base: string): object {
  return {
    ...p.extra,
    id: p.id,
    name: p.name,
    domain_id: p.isDomain ? null : p.domainId,
    parent_id: p.isDomain ? null : p.parentId ?? p.domainId,
    description: p.description,
    enabled: p.enabled,
    is_domain: p.isDomain,
    tags: [...p.tags],
    options: {},
    links: { self: `${base}/v3/projects/${p.id}` },
  };
}

export function userView(u: User, base: string): object {
  return {
    ...u.extra,
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    password_expires_at: u.passwordExpiresAt,
    options: {},
    ...(u.defaultProjectId !== null ? { default_project_id: u.defaultProjectId } : {}),
    links: { self: `${base}/v3/users/${u.id}` },
  };
}

export function groupView(g: Group, base: string): object {
  return { ...g.extra, id: g.id, name: g.name, domain_id: g.domainId, description: g.description, links: { self: `${base}/v3/groups/${g.id}` } };
}

export function roleView(r: Role, base: string): object {
  return { ...r.extra, id: r.id, name: r.name, domain_id: r.domainId, description: r.description, options: {}, links: { self: `${base}/v3/roles/${r.id}` } };
}

/** A role as nested in implied-role bodies. */
export function roleRef(r: Role, base: string): object {
  return { id: r.id, name: r.name, links: { self: `${base}/v3/roles/${r.id}` } };
}

export function regionView(r: Region, base: string): object {
  return { ...r.extra, id: r.id, description: r.description, parent_region_id: r.parentRegionId, links: { self: `${base}/v3/regions/${r.id}` } };
}

export function serviceView(s: Service, base: string): object {
  return { ...s.extra, id: s.id, type: s.type, name: s.name, description: s.description, enabled: s.enabled, links: { self: `${base}/v3/services/${s.id}` } };
}

export function endpointView(e: Endpoint, base: string): object {
  return {
    ...e.extra,
    id: e.id,
    interface: e.interface,
    region: e.regionId,
    region_id: e.regionId,
    service_id: e.serviceId,
    url: e.url,
    enabled: e.enabled,
    links: { self: `${base}/v3/endpoints/${e.id}` },
  };
}

/** An application credential; expires_at is shown as keystone does, without a zone (`2018-02-27T18:30:59.000000`). */
export function appCredentialView(a: AppCredential, base: string, secret?: string): object {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    user_id: a.userId,
    project_id: a.projectId,
    expires_at: a.expiresAt === null ? null : microsUtc(a.expiresAt).replace(/Z$/, ''),
    unrestricted: a.unrestricted,
    roles: a.roles.map((r) => ({ id: r.id, name: r.name, domain_id: r.domain_id ?? null })),
    access_rules: a.accessRules.map((r) => ({ id: r.id, service: r.service, path: r.path, method: r.method })),
    ...(secret !== undefined ? { secret } : {}),
    links: { self: `${base}/v3/users/${a.userId}/application_credentials/${a.id}` },
  };
}

/** The token body of POST/GET /v3/auth/tokens. */
export function tokenView(t: ValidatedToken, catalog: CatalogEntry[] | undefined): object {
  const body: Record<string, unknown> = {
    methods: t.payload.methods,
    user: { id: t.user.id, name: t.user.name, domain: { id: t.user.domainId, name: t.user.domainName }, password_expires_at: t.user.passwordExpiresAt },
    audit_ids: t.payload.auditIds,
    expires_at: keystoneTime(t.payload.expiresAt),
    issued_at: keystoneTime(t.payload.issuedAt),
  };
  if (t.project !== undefined) {
    body.project = { id: t.project.id, name: t.project.name, domain: { id: t.project.domainId, name: t.project.domainName } };
    body.is_domain = false;
  }
  if (t.domain !== undefined) body.domain = { id: t.domain.id, name: t.domain.name };
  if (t.system) body.system = { all: true };
  if (t.payload.scope.kind !== 'unscoped') body.roles = t.roles.map((r) => ({ id: r.id, name: r.name }));
  if (t.appCred !== undefined) body.application_credential = { id: t.appCred.id, name: t.appCred.name, restricted: t.appCred.restricted };
  if (t.trust !== undefined) {
    body['OS-TRUST:trust'] = { id: t.trust.id, impersonation: t.trust.impersonation, trustee_user: { id: t.trust.trusteeUserId }, trustor_user: { id: t.trust.trustorUserId } };
  }
  if (catalog !== undefined && t.payload.scope.kind !== 'unscoped') body.catalog = catalog;
  return { token: body };
}

/** One role assignment as GET /v3/role_assignments lists it. */
export function assignmentView(a: AssignmentView, base: string, names?: { role?: Role; actorName?: string; actorDomain?: { id: string; name: string }; targetName?: string; targetDomain?: { id: string; name: string } }): object {
  const scope: Record<string, unknown> = {};
  const target: Record<string, unknown> = a.targetType === 'system' ? { all: true } : { id: a.targetId };
  if (names?.targetName !== undefined) target.name = names.targetName;
  if (names?.targetDomain !== undefined) target.domain = names.targetDomain;
  scope[a.targetType] = target;
  if (a.inherited) scope['OS-INHERIT:inherited_to'] = 'projects';
  const actor: Record<string, unknown> = { id: a.actorId };
  if (names?.actorName !== undefined) actor.name = names.actorName;
  if (names?.actorDomain !== undefined) actor.domain = names.actorDomain;
  const role: Record<string, unknown> = { id: a.roleId };
  if (names?.role !== undefined) {
    role.name = names.role.name;
    if (names.role.domainId !== null) role.domain = { id: names.role.domainId };
  }
  const targetPath = a.targetType === 'system' ? 'system' : `${a.targetType}s/${a.targetId}`;
  const actorPath = `${a.actorType}s/${a.viaGroupId ?? a.actorId}`;
  const links: Record<string, string> = {
    assignment: `${base}/v3/${a.inherited ? 'OS-INHERIT/' : ''}${targetPath}/${a.viaGroupId !== undefined ? `groups/${a.viaGroupId}` : actorPath}/roles/${a.priorRoleId ?? a.roleId}${a.inherited ? '/inherited_to_projects' : ''}`,
  };
  if (a.viaGroupId !== undefined) links.membership = `${base}/v3/groups/${a.viaGroupId}/users/${a.actorId}`;
  if (a.priorRoleId !== undefined) links.prior_role = `${base}/v3/roles/${a.priorRoleId}`;
  return { role, [a.actorType]: actor, scope, links };
}

/** An access rule of a user. */
export function accessRuleView(r: AccessRule, base: string): object {
  return { id: r.id, service: r.service, path: r.path, method: r.method, links: { self: `${base}/v3/users/${r.userId}/access_rules/${r.id}` } };
}

/** A credential; the blob is the string the client stored. */
export function credentialView(c: Credential, base: string): object {
  return { ...c.extra, id: c.id, user_id: c.userId, project_id: c.projectId, type: c.type, blob: c.blob, links: { self: `${base}/v3/credentials/${c.id}` } };
}

/** An EC2 credential as OS-EC2 shows it, addressed by its access key. */
export function ec2CredentialView(e: Ec2Credential, base: string): object {
  return {
    user_id: e.userId,
    tenant_id: e.projectId,
    access: e.access,
    secret: e.secret,
    trust_id: e.trustId,
    links: { self: `${base}/v3/users/${e.userId}/credentials/OS-EC2/${e.access}` },
  };
}

/** A trust; `roles` (the full body) is left out of list rows, as keystone does. */
export function trustView(t: Trust, base: string, roles?: readonly Role[]): object {
  const self = `${base}/v3/OS-TRUST/trusts/${t.id}`;
  return {
    ...t.extra,
    id: t.id,
    trustor_user_id: t.trustorUserId,
    trustee_user_id: t.trusteeUserId,
    project_id: t.projectId,
    impersonation: t.impersonation,
    expires_at: t.expiresAt === null ? null : microsUtc(t.expiresAt),
    remaining_uses: t.remainingUses,
    allow_redelegation: t.allowRedelegation,
    redelegated_trust_id: t.redelegatedTrustId,
    redelegation_count: t.redelegationCount,
    ...(roles !== undefined ? { roles: roles.map((r) => roleView(r, base)), roles_links: { self: `${self}/roles`, previous: null, next: null } } : {}),
    links: { self },
  };
}

/** An OAuth1 consumer; the secret only in the answer to its creation. */
export function consumerView(c: OAuthConsumer, base: string, secret?: string): object {
  return { ...c.extra, id: c.id, description: c.description, ...(secret !== undefined ? { secret } : {}), links: { self: `${base}/v3/OS-OAUTH1/consumers/${c.id}` } };
}

/** A stored policy. */
export function policyView(p: Policy, base: string): object {
  return { ...p.extra, id: p.id, type: p.type, blob: p.blob, links: { self: `${base}/v3/policies/${p.id}` } };
}

/** An OS-EP-FILTER endpoint group. */
export function endpointGroupView(g: EndpointGroup, base: string): object {
  return { id: g.id, name: g.name, description: g.description, filters: { ...g.filters }, links: { self: `${base}/v3/OS-EP-FILTER/endpoint_groups/${g.id}` } };
}
