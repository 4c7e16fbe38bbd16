/** IdentityApi: keystone's business rules — authentication, token validation and the identity/assignment/catalog CRUD. */
import { BadRequest, Conflict, Forbidden, NotFound, Unauthorized } from '@strata/errors';
import { nowIso } from '@strata/db';
import type { Logger } from '@strata/log';
import type { IdentityDb } from './objects/common.js';
import { DomainStore, DEFAULT_DOMAIN_ID, type Domain } from './objects/domain.js';
import { ProjectStore, type Project } from './objects/project.js';
import { UserStore, type User } from './objects/user.js';
import { RoleStore, type Assignment, type Role } from './objects/role.js';
import { CatalogStore, type Endpoint, type Service } from './objects/catalog.js';
import { AppCredentialStore, type AppCredential } from './objects/app-credential.js';
import { AccessRuleStore, type AccessRuleSpec } from './objects/access-rule.js';
import { CredentialStore } from './objects/credential.js';
import { TrustStore, type Trust } from './objects/trust.js';
import { OAuthConsumerStore } from './objects/oauth-consumer.js';
import { PolicyStore } from './objects/policy.js';
import { EndpointFilterStore, endpointMatches } from './objects/endpoint-filter.js';
import { DomainConfigStore } from './objects/domain-config.js';
import { RevocationStore, revokes, type RevocationEvent } from './objects/revocation.js';
import { TokenProvider, newAuditId, type TokenPayload, type TokenScope } from './token/token-provider.js';
import type { ValidatedToken } from './identity-context.js';
import { CredentialApi } from './credential-api.js';
import { TrustApi } from './trust-api.js';
import { DomainConfigApi } from './domain-config-api.js';
import { parseTimestamp, timestampMs } from './timestamps.js';

/** Settings IdentityApi needs. */
export interface IdentityApiOptions {
  readonly db: IdentityDb;
  readonly tokens: TokenProvider;
  readonly logger: Logger;
  /** Token lifetime in ms. */
  readonly tokenExpirationMs: number;
  /** bcrypt cost for passwords and secrets. */
  readonly passwordHashRounds: number;
  /** Region the catalog names when an endpoint has none. */
  readonly defaultRegion: string;
}

/** The identity part of an auth request, as POST /v3/auth/tokens carries it (validated by the route schema). */
export interface AuthIdentity {
  readonly methods: readonly string[];
  readonly password?: { readonly user: { readonly id?: string; readonly name?: string; readonly password: string; readonly domain?: { readonly id?: string; readonly name?: string } } };
  readonly token?: { readonly id: string };
  readonly application_credential?: { readonly id?: string; readonly name?: string; readonly secret: string; readonly user?: { readonly id?: string; readonly name?: string; readonly domain?: { readonly id?: string; readonly name?: string } } };
}

/** The requested scope of an auth request. */
export interface AuthScope {
  readonly project?: { readonly id?: string; readonly name?: string; readonly domain?: { readonly id?: string; readonly name?: string } };
  readonly domain?: { readonly id?: string; readonly name?: string };
  readonly system?: { readonly all?: boolean };
  /** OS-TRUST: act on the trust's project with its delegated roles. */
  readonly 'OS-TRUST:trust'?: { readonly id: string };
}

/** A catalog entry as tokens and GET /v3/auth/catalog show it. */
export interface CatalogEntry {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly endpoints: ReadonlyArray<{ readonly id: string; readonly interface: string; readonly region: string | null; readonly region_id: string | null; readonly url: string }>;
}

/** One row of GET /v3/role_assignments. */
export interface AssignmentView {
  readonly roleId: string;
  readonly actorType: 'user' | 'group';
  readonly actorId: string;
  readonly targetType: 'project' | 'domain' | 'system';
  readonly targetId: string;
  readonly inherited: boolean;
  /** Set on effective rows that came through a group. */
  readonly viaGroupId?: string;
  /** Set on effective rows that came from an implied role. */
  readonly priorRoleId?: string;
}

const VALIDATION_CACHE_MAX = 10_000;

/** The keystone service logic. Stateless but for caches that a write invalidates. */
export class IdentityApi {
  readonly domains: DomainStore;
  readonly projects: ProjectStore;
  readonly users: UserStore;
  readonly roles: RoleStore;
  readonly catalog: CatalogStore;
  readonly appCreds: AppCredentialStore;
  /** Access rules of application credentials (/v3/users/{id}/access_rules). */
  readonly accessRules: AccessRuleStore;
  /** /v3/credentials and OS-EC2 keys. */
  readonly credentials: CredentialApi;
  /** OS-TRUST. */
  readonly trusts: TrustApi;
  /** OS-OAUTH1 consumers. */
  readonly consumers: OAuthConsumerStore;
  /** /v3/policies. */
  readonly policies: PolicyStore;
  /** OS-EP-FILTER endpoint groups and project associations; writes must call invalidate(). */
  readonly endpointFilter: EndpointFilterStore;
  /** /v3/domains/{id}/config. */
  readonly domainConfigs: DomainConfigApi;
  readonly #credentialStore: CredentialStore;
  readonly #trustStore: TrustStore;
  readonly #revocations: RevocationStore;
  readonly #tokens: TokenProvider;
  readonly #opts: IdentityApiOptions;
  /** Bumped by every write that can change what a token validates to. */
  #generation = 0;
  #revocationEvents: RevocationEvent[] | undefined;
  #catalogCache: { gen: number; entries: CatalogEntry[]; allowed: Map<string, Set<string> | null> } | undefined;
  readonly #validated = new Map<string, { gen: number; value: ValidatedToken }>();

  constructor(opts: IdentityApiOptions) {
    this.#opts = opts;
    this.domains = new DomainStore(opts.db);
    this.projects = new ProjectStore(opts.db);
    this.users = new UserStore(opts.db, opts.passwordHashRounds);
    this.roles = new RoleStore(opts.db);
    this.catalog = new CatalogStore(opts.db);
    this.accessRules = new AccessRuleStore(opts.db);
    this.appCreds = new AppCredentialStore(opts.db, opts.passwordHashRounds, this.accessRules);
    this.#credentialStore = new CredentialStore(opts.db);
    this.credentials = new CredentialApi({ credentials: this.#credentialStore, users: this.users, projects: this.projects });
    this.#trustStore = new TrustStore(opts.db);
    this.trusts = new TrustApi({
      trusts: this.#trustStore,
      users: this.users,
      projects: this.projects,
      roles: this.roles,
      rolesOnProject: (userId, projectId) => this.effectiveRoleIds(userId, { kind: 'project', projectId }, { keepDomainRoles: true }),
      onDelete: () => this.invalidate(),
    });
    this.consumers = new OAuthConsumerStore(opts.db);
    this.policies = new PolicyStore(opts.db);
    this.endpointFilter = new EndpointFilterStore(opts.db);
    this.domainConfigs = new DomainConfigApi({ domains: this.domains, configs: new DomainConfigStore(opts.db) });
    this.#revocations = new RevocationStore(opts.db);
    this.#tokens = opts.tokens;
  }

  /** Forget cached validations and catalogs; every identity write calls this. */
  invalidate(): void {
    this.#generation += 1;
    this.#validated.clear();
  }

  // ===== authentication ============================================================

  /** POST /v3/auth/tokens: authenticate the identity, resolve the scope, issue a token. */
  async authenticate(identity: AuthIdentity, scope: AuthScope | 'unscoped' | undefined): Promise<ValidatedToken> {
    const authStarted = Date.now();
    const methods = identity.methods;
    if (methods.length === 0) throw new BadRequest('Invalid input for field identity/methods: [] is too short');
    let userId: string;
    let inherited: { auditIds: string[]; expiresAt?: string; scope?: TokenScope; methods: string[] } = { auditIds: [], methods: [] };
    let appCred: AppCredential | undefined;
    if (methods.includes('password')) {
      if (identity.password === undefined) throw new BadRequest("Invalid input for field 'identity': 'password' is a required property");
      userId = await this.#authenticatePassword(identity.password.user);
    } else if (methods.includes('token')) {
      if (identity.token === undefined) throw new BadRequest("Invalid input for field 'identity': 'token' is a required property");
      const old = await this.validate(identity.token.id).catch(() => {
        throw new Unauthorized('The request you have made requires authentication.', {}, 'InvalidToken');
      });
      if (old.payload.appCredId !== undefined) throw new Forbidden('Application credentials cannot request a scope change.');
      if (old.payload.trustId !== undefined) throw new Forbidden('You are not authorized to perform the requested action: rescope a trust token.', {}, 'ForbiddenAction');
      if (old.payload.scope.kind !== 'unscoped' && scope !== undefined && scope !== 'unscoped' && scope['OS-TRUST:trust'] !== undefined) {
        throw new Forbidden('You are not authorized to perform the requested action: rescope a scoped token.', {}, 'ForbiddenAction');
      }
      userId = old.user.id;
      // Rescoping keeps the original expiry and the audit chain (keystone's token method).
      const chain = old.payload.auditIds[old.payload.auditIds.length - 1] ?? old.payload.auditIds[0];
      inherited = { auditIds: chain === undefined ? [] : [chain], expiresAt: old.payload.expiresAt, scope: old.payload.scope, methods: [...old.payload.methods] };
      if (old.payload.scope.kind !== 'unscoped' && scope !== undefined && scope !== 'unscoped') {
        // NOTE: keystone forbids rescoping a scoped token to another scope.
        const wanted = await this.#resolveScope(scope);
        if (JSON.stringify(wanted) !== JSON.stringify(old.payload.scope)) throw new Forbidden('You are not authorized to perform the requested action: rescope a scoped token.');
      }
    } else if (methods.includes('application_credential')) {
      if (identity.application_credential === undefined) throw new BadRequest("Invalid input for field 'identity': 'application_credential' is a required property");
      appCred = await this.#authenticateAppCred(identity.application_credential);
      userId = appCred.userId;
      if (scope !== undefined && scope !== 'unscoped') throw new Unauthorized('Application credentials cannot request a scope.');
    } else {
      throw new Unauthorized(`Attempted to authenticate with an unsupported method.`, {}, 'UnsupportedAuthMethod');
    }

    const trustRef = scope !== undefined && scope !== 'unscoped' ? scope['OS-TRUST:trust'] : undefined;
    let trust: Trust | undefined;
    if (trustRef !== undefined) {
      if (scope !== undefined && scope !== 'unscoped' && (scope.project !== undefined || scope.domain !== undefined || scope.system !== undefined)) {
        throw new BadRequest('Specifying more than one of project, domain, system or trust in a scope is not allowed.');
      }
      const trustee = await this.users.get(userId).catch(() => {
        throw new Unauthorized('The request you have made requires authentication.');
      });
      await this.#checkUserUsable(trustee);
      trust = await this.#trustForAuth(userId, trustRef.id);
      // An impersonating trust token is the trustor's; otherwise it stays the trustee's.
      if (trust.impersonation) userId = trust.trustorUserId;
    }

    const user = await this.users.get(userId).catch(() => {
      throw new Unauthorized('The request you have made requires authentication.');
    });
    await this.#checkUserUsable(user);

    let tokenScope: TokenScope;
    if (trust?.projectId != null) tokenScope = { kind: 'project', projectId: trust.projectId };
    else if (appCred !== undefined) tokenScope = { kind: 'project', projectId: appCred.projectId };
    else if (scope === 'unscoped') tokenScope = { kind: 'unscoped' };
    else if (scope !== undefined) tokenScope = await this.#resolveScope(scope);
    else if (inherited.scope !== undefined) tokenScope = inherited.scope;
    else if (user.defaultProjectId !== null && (await this.#defaultProjectUsable(user))) tokenScope = { kind: 'project', projectId: user.defaultProjectId };
    else tokenScope = { kind: 'unscoped' };

    const issuedAt = nowIso();
    const lifetimeEnd = new Date(Date.now() + this.#opts.tokenExpirationMs).toISOString();
    let expiresAt = inherited.expiresAt !== undefined && inherited.expiresAt < lifetimeEnd ? inherited.expiresAt : lifetimeEnd;
    if (appCred?.expiresAt != null && timestampMs(appCred.expiresAt) < Date.parse(expiresAt)) expiresAt = new Date(timestampMs(appCred.expiresAt)).toISOString();
    if (trust?.expiresAt != null && timestampMs(trust.expiresAt) < Date.parse(expiresAt)) expiresAt = new Date(timestampMs(trust.expiresAt)).toISOString();
    const payload: TokenPayload = {
      userId: user.id,
      methods: [...new Set([...inherited.methods, ...methods])],
      scope: tokenScope,
      issuedAt,
      expiresAt,
      auditIds: [newAuditId(), ...inherited.auditIds],
      ...(appCred !== undefined ? { appCredId: appCred.id } : {}),
      ...(trust !== undefined ? { trustId: trust.id } : {}),
      // NOTE: signed into the token so any service validating it can trace FLOW.md steps 1–2 of its requests.
      authMs: Math.max(0, Date.parse(issuedAt) - authStarted),
    };
    const id = await this.#tokens.issue(payload);
    // Building the validated view checks roles on the scope (401 when the user has none).
    return this.#build(id, payload, true);
  }

  async #authenticatePassword(u: { id?: string; name?: string; password: string; domain?: { id?: string; name?: string } }): Promise<string> {
    let user: User | undefined;
    if (u.id !== undefined) user = await this.users.find(u.id);
    else if (u.name !== undefined) {
      if (u.domain === undefined) throw new BadRequest('Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect.');
      const domain = await this.#findDomainRef(u.domain);
      user = domain === undefined ? undefined : await this.users.findByName(u.name, domain.id);
    } else throw new BadRequest('Expecting to find id or name in user.');
    if (user === undefined || !(await this.users.checkPassword(user.id, u.password))) {
      throw new Unauthorized('The request you have made requires authentication.', {}, 'InvalidCredentials');
    }
    return user.id;
  }

  async #authenticateAppCred(a: NonNullable<AuthIdentity['application_credential']>): Promise<AppCredential> {
    let cred: AppCredential | undefined;
    if (a.id !== undefined) cred = await this.appCreds.find(a.id);
    else if (a.name !== undefined && a.user !== undefined) {
      let user: User | undefined;
      if (a.user.id !== undefined) user = await this.users.find(a.user.id);
      else if (a.user.name !== undefined && a.user.domain !== undefined) {
        const d = await this.#findDomainRef(a.user.domain);
        user = d === undefined ? undefined : await this.users.findByName(a.user.name, d.id);
      }
      cred = user === undefined ? undefined : await this.appCreds.findByName(user.id, a.name);
    } else throw new BadRequest('Expecting to find id, or name and user, in application_credential.');
    if (cred === undefined || !(await this.appCreds.checkSecret(cred.id, a.secret))) throw new Unauthorized('The request you have made requires authentication.', {}, 'InvalidCredentials');
    if (cred.expiresAt !== null && timestampMs(cred.expiresAt) <= Date.now()) throw new Unauthorized('The request you have made requires authentication.', {}, 'ApplicationCredentialExpired');
    return cred;
  }

  async #checkUserUsable(user: User): Promise<void> {
    if (!user.enabled) throw new Unauthorized(`The account is disabled for user: ${user.id}.`, {}, 'UserDisabled');
    const domain = await this.domains.find(user.domainId);
    if (domain === undefined || !domain.enabled) throw new Unauthorized(`The account is disabled for user: ${user.id}.`, {}, 'UserDisabled');
  }

  async #defaultProjectUsable(user: User): Promise<boolean> {
    if (user.defaultProjectId === null) return false;
    const p = await this.projects.find(user.defaultProjectId);
    if (p === undefined || !p.enabled) return false;
    return (await this.effectiveRoleIds(user.id, { kind: 'project', projectId: p.id })).length > 0;
  }

  async #findDomainRef(ref: { id?: string; name?: string }): Promise<Domain | undefined> {
    if (ref.id !== undefined) return this.domains.find(ref.id);
    if (ref.name !== undefined) return this.domains.findByName(ref.name);
    throw new BadRequest('Expecting to find id or name in domain.');
  }

  async #resolveScope(scope: AuthScope): Promise<TokenScope> {
    const given = [scope.project, scope.domain, scope.system].filter((s) => s !== undefined).length;
    if (given > 1) throw new BadRequest('Specifying more than one of project, domain or system in a scope is not allowed.');
    if (scope.project !== undefined) {
      const ref = scope.project;
      let project: Project | undefined;
      if (ref.id !== undefined) project = await this.projects.find(ref.id);
      else if (ref.name !== undefined) {
        if (ref.domain === undefined) throw new BadRequest('Expecting to find domain in project.');
        const d = await this.#findDomainRef(ref.domain);
        if (d !== undefined && !d.enabled) throw new Unauthorized(`Unable to scope to a disabled domain.`);
        project = d === undefined ? undefined : await this.projects.findByName(ref.name, d.id);
      } else throw new BadRequest('Expecting to find id or name in project.');
      if (project === undefined) throw new Unauthorized(`Could not find project: ${ref.id ?? ref.name}.`, {}, 'ProjectNotFound');
      return { kind: 'project', projectId: project.id };
    }
    if (scope.domain !== undefined) {
      const d = await this.#findDomainRef(scope.domain);
      if (d === undefined) throw new Unauthorized(`Could not find domain: ${scope.domain.id ?? scope.domain.name}.`, {}, 'DomainNotFound');
      return { kind: 'domain', domainId: d.id };
    }
    if (scope.system !== undefined) {
      if (scope.system.all !== true) throw new BadRequest('Only system scope {"all": true} is supported.');
      return { kind: 'system' };
    }
    return { kind: 'unscoped' };
  }

  // ===== validation ================================================================

  /** Validate a token: signature, expiry, revocations, and that user, scope and roles still hold. 404 when not. */
  async validate(tokenId: string): Promise<ValidatedToken> {
    const cached = this.#validated.get(tokenId);
    if (cached !== undefined && cached.gen === this.#generation) {
      if (cached.value.payload.expiresAt > nowIso()) return cached.value;
      this.#validated.delete(tokenId);
    }
    let payload: TokenPayload;
    try {
      payload = await this.#tokens.verify(tokenId);
    } catch {
      throw tokenNotFound();
    }
    if (await this.#isRevoked(payload)) throw tokenNotFound();
    const gen = this.#generation;
    const value = await this.#build(tokenId, payload, false);
    if (this.#validated.size >= VALIDATION_CACHE_MAX) this.#validated.clear();
    if (gen === this.#generation) this.#validated.set(tokenId, { gen, value });
    return value;
  }

  /** Revoke one token (DELETE /v3/auth/tokens): its audit id is revoked, so rescoped children die too. */
  async revokeToken(tokenId: string): Promise<void> {
    const t = await this.validate(tokenId);
    await this.addRevocation({ auditId: t.payload.auditIds[0] as string, issuedBefore: nowIso() });
  }

  /** Persist a revocation event and drop caches. */
  async addRevocation(e: RevocationEvent): Promise<void> {
    await this.#revocations.add(e);
    this.#revocationEvents = undefined;
    this.invalidate();
  }

  async #isRevoked(p: TokenPayload): Promise<boolean> {
    this.#revocationEvents ??= await this.#revocations.all();
    const facts = {
      auditIds: p.auditIds,
      userId: p.userId,
      projectId: p.scope.kind === 'project' ? p.scope.projectId : undefined,
      domainId: p.scope.kind === 'domain' ? p.scope.domainId : undefined,
      appCredId: p.appCredId,
      issuedAt: p.issuedAt,
    };
    return this.#revocationEvents.some((e) => revokes(e, facts));
  }

  async #build(id: string, payload: TokenPayload, issuing: boolean): Promise<ValidatedToken> {
    const fail = (msg: string): never => {
      if (issuing) throw new Unauthorized(msg);
      throw tokenNotFound();
    };
    const user = await this.users.find(payload.userId);
    if (user === undefined || !user.enabled) return fail(`The account is disabled for user: ${payload.userId}.`);
    const userDomain = await this.domains.find(user.domainId);
    if (userDomain === undefined || !userDomain.enabled) return fail(`The account is disabled for user: ${payload.userId}.`);
    let project: ValidatedToken['project'];
    let domain: ValidatedToken['domain'];
    if (payload.scope.kind === 'project') {
      const p = await this.projects.find(payload.scope.projectId);
      if (p === undefined || !p.enabled) return fail(`Project ${payload.scope.projectId} is disabled or does not exist.`);
      const pd = await this.domains.find(p.domainId);
      if (pd === undefined || !pd.enabled) return fail(`Domain ${p.domainId} is disabled.`);
      project = { id: p.id, name: p.name, domainId: pd.id, domainName: pd.name, isDomain: false };
    } else if (payload.scope.kind === 'domain') {
      const d = await this.domains.find(payload.scope.domainId);
      if (d === undefined || !d.enabled) return fail(`Domain ${payload.scope.domainId} is disabled or does not exist.`);
      domain = { id: d.id, name: d.name };
    }
    let roleIds: string[];
    let trust: ValidatedToken['trust'];
    if (payload.trustId !== undefined) {
      const t = await this.#trustStore.findUnexpired(payload.trustId);
      if (t === undefined || t.projectId === null || payload.scope.kind !== 'project' || t.projectId !== payload.scope.projectId) return fail('The trust is no longer valid.');
      for (const party of [t.trustorUserId, t.trusteeUserId]) {
        const u = await this.users.find(party);
        if (u === undefined || !u.enabled) return fail(`The account is disabled for user: ${party}.`);
      }
      roleIds = await this.#trustRoleIds(t);
      trust = { id: t.id, impersonation: t.impersonation, trustorUserId: t.trustorUserId, trusteeUserId: t.trusteeUserId };
    } else roleIds = payload.scope.kind === 'unscoped' ? [] : await this.effectiveRoleIds(user.id, payload.scope);
    let appCred: ValidatedToken['appCred'];
    if (payload.appCredId !== undefined) {
      const ac = await this.appCreds.find(payload.appCredId);
      if (ac === undefined) return fail('The application credential no longer exists.');
      const allowed = await this.roles.expandImplied(ac.roles.map((r) => r.id));
      roleIds = roleIds.filter((r) => allowed.includes(r));
      appCred = { id: ac.id, name: ac.name, restricted: !ac.unrestricted };
    }
    if (payload.scope.kind !== 'unscoped' && roleIds.length === 0) {
      const target = payload.scope.kind === 'project' ? `project ${payload.scope.projectId}` : payload.scope.kind === 'domain' ? `domain ${payload.scope.domainId}` : 'the system';
      return fail(`User ${user.id} has no access to ${target}.`);
    }
    const roles = (await this.roles.list({ ids: roleIds })).map((r) => ({ id: r.id, name: r.name }));
    return {
      id,
      payload,
      user: { id: user.id, name: user.name, domainId: userDomain.id, domainName: userDomain.name, passwordExpiresAt: user.passwordExpiresAt },
      ...(project !== undefined ? { project } : {}),
      ...(domain !== undefined ? { domain } : {}),
      system: payload.scope.kind === 'system',
      roles,
      ...(appCred !== undefined ? { appCred } : {}),
      ...(trust !== undefined ? { trust } : {}),
    };
  }

  /** Roles a trust token carries: the delegated roles (and what they imply) the trustor still holds on the project. */
  async #trustRoleIds(t: Trust): Promise<string[]> {
    if (t.projectId === null) return [];
    const held = await this.effectiveRoleIds(t.trustorUserId, { kind: 'project', projectId: t.projectId });
    const delegated = await this.roles.expandImplied(t.roleIds);
    return delegated.filter((r) => held.includes(r));
  }

  /** The trust an auth request scopes to: it must be usable and the caller its trustee; a limited trust loses one use. */
  async #trustForAuth(authUserId: string, trustId: string): Promise<Trust> {
    const t = await this.#trustStore.find(trustId);
    if (t === undefined) throw new NotFound(`Could not find trust: ${trustId}.`, { id: trustId }, 'TrustNotFound');
    if (t.trusteeUserId !== authUserId) throw new Forbidden('You are not authorized to perform the requested action: the user is not the trustee of the trust.', {}, 'ForbiddenAction');
    if (t.projectId === null) throw new Forbidden('You are not authorized to perform the requested action: a trust without a project cannot scope a token.', {}, 'ForbiddenAction');
    if (!(await this.#trustStore.consume(t))) throw new NotFound(`Could not find trust: ${trustId}.`, { id: trustId }, 'TrustNotFound');
    return t;
  }

  // ===== assignments ===============================================================

  /**
   * Role ids a user holds on a scope: direct, through groups, inherited from domain and parent
   * projects, plus implied roles. Domain-specific roles only lend their implied global roles
   * (keystone leaves them out of tokens) unless `keepDomainRoles` is set.
   */
  async effectiveRoleIds(userId: string, scope: TokenScope, opts: { keepDomainRoles?: boolean } = {}): Promise<string[]> {
    if (scope.kind === 'unscoped') return [];
    const actorIds = [userId, ...(await this.users.groupIdsOf(userId))];
    const direct: Assignment[] = [];
    if (scope.kind === 'project') {
      const project = await this.projects.find(scope.projectId);
      if (project === undefined) return [];
      direct.push(...(await this.roles.listAssignments({ actorIds, targetType: 'project', targetIds: [project.id], inherited: false })));
      direct.push(...(await this.roles.listAssignments({ actorIds, targetType: 'domain', targetIds: [project.domainId], inherited: true })));
      const ancestors = await this.projects.ancestors(project.id);
      if (ancestors.length > 0) {
        direct.push(...(await this.roles.listAssignments({ actorIds, targetType: 'project', targetIds: ancestors.map((a) => a.id), inherited: true })));
      }
    } else if (scope.kind === 'domain') {
      direct.push(...(await this.roles.listAssignments({ actorIds, targetType: 'domain', targetIds: [scope.domainId], inherited: false })));
    } else {
      direct.push(...(await this.roles.listAssignments({ actorIds, targetType: 'system', targetIds: ['system'] })));
    }
    const expanded = await this.roles.expandImplied([...new Set(direct.map((a) => a.roleId))]);
    return opts.keepDomainRoles === true ? expanded : this.#withoutDomainRoles(expanded);
  }

  /** Drop domain-specific roles from a list of role ids. */
  async #withoutDomainRoles(roleIds: readonly string[]): Promise<string[]> {
    if (roleIds.length === 0) return [];
    const global = new Set((await this.roles.list({ ids: roleIds })).filter((r) => r.domainId === null).map((r) => r.id));
    return roleIds.filter((id) => global.has(id));
  }

  /** Projects on which the user has any effective role (GET /v3/auth/projects, /v3/users/{id}/projects). */
  async projectsForUser(userId: string): Promise<Project[]> {
    const actorIds = [userId, ...(await this.users.groupIdsOf(userId))];
    const ids = new Set<string>();
    for (const a of await this.roles.listAssignments({ actorIds, targetType: 'project' })) {
      ids.add(a.targetId);
      if (a.inherited) for (const p of await this.#subtree(a.targetId)) ids.add(p.id);
    }
    for (const a of await this.roles.listAssignments({ actorIds, targetType: 'domain', inherited: true })) {
      for (const p of await this.projects.list({ domainId: a.targetId })) ids.add(p.id);
    }
    // Inherited-only grants on a project apply to its children, not to itself.
    const directOrInheritedAbove = [];
    for (const id of ids) {
      const roles = await this.effectiveRoleIds(userId, { kind: 'project', projectId: id });
      if (roles.length > 0) directOrInheritedAbove.push(id);
    }
    return this.projects.list({ ids: directOrInheritedAbove });
  }

  /** Domains on which the user has a role (GET /v3/auth/domains). */
  async domainsForUser(userId: string): Promise<Domain[]> {
    const actorIds = [userId, ...(await this.users.groupIdsOf(userId))];
    const rows = await this.roles.listAssignments({ actorIds, targetType: 'domain', inherited: false });
    return this.domains.list({ ids: [...new Set(rows.map((r) => r.targetId))] });
  }

  async #subtree(projectId: string): Promise<Project[]> {
    const out: Project[] = [];
    let frontier = [projectId];
    const seen = new Set(frontier);
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const c of await this.projects.children(id)) {
          if (!seen.has(c.id)) {
            seen.add(c.id);
            out.push(c);
            next.push(c.id);
          }
        }
      }
      frontier = next;
    }
    return out;
  }

  /** GET /v3/role_assignments, with `effective` expansion of groups, inheritance and implied roles. */
  async listRoleAssignments(filter: {
    userId?: string;
    groupId?: string;
    roleId?: string;
    projectId?: string;
    domainId?: string;
    system?: boolean;
    inheritedOnly?: boolean;
    effective: boolean;
    includeSubtree?: boolean;
  }): Promise<AssignmentView[]> {
    const all: AssignmentView[] = (await this.roles.listAssignments()).map((a) => ({ ...a }));
    let rows: AssignmentView[] = all;
    if (filter.effective) {
      const expanded: AssignmentView[] = [];
      for (const a of all) {
        const actors: Array<{ id: string; via?: string }> = a.actorType === 'group' ? (await this.users.memberIds(a.actorId)).map((u) => ({ id: u, via: a.actorId })) : [{ id: a.actorId }];
        let targets: Array<{ type: 'project' | 'domain' | 'system'; id: string }>;
        if (a.inherited) {
          targets = a.targetType === 'domain' ? (await this.projects.list({ domainId: a.targetId })).map((p) => ({ type: 'project' as const, id: p.id })) : (await this.#subtree(a.targetId)).map((p) => ({ type: 'project' as const, id: p.id }));
        } else targets = [{ type: a.targetType, id: a.targetId }];
        for (const actor of actors) {
          for (const t of targets) {
            const base: AssignmentView = { roleId: a.roleId, actorType: 'user', actorId: actor.id, targetType: t.type, targetId: t.id, inherited: false, ...(actor.via !== undefined ? { viaGroupId: actor.via } : {}) };
            expanded.push(base);
            const implied = (await this.roles.expandImplied([a.roleId])).filter((r) => r !== a.roleId);
            for (const r of implied) expanded.push({ ...base, roleId: r, priorRoleId: a.roleId });
          }
        }
      }
      const global = new Set(await this.#withoutDomainRoles([...new Set(expanded.map((r) => r.roleId))]));
      const seen = new Set<string>();
      rows = expanded.filter((r) => {
        if (!global.has(r.roleId)) return false;
        const k = `${r.roleId}|${r.actorId}|${r.targetType}|${r.targetId}|${r.viaGroupId ?? ''}|${r.priorRoleId ?? ''}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    let projectIds: string[] | undefined;
    if (filter.projectId !== undefined) projectIds = filter.includeSubtree === true ? [filter.projectId, ...(await this.#subtree(filter.projectId)).map((p) => p.id)] : [filter.projectId];
    return rows.filter((r) => {
      if (filter.userId !== undefined && !(r.actorType === 'user' && r.actorId === filter.userId)) return false;
      if (filter.groupId !== undefined && !(r.actorType === 'group' && r.actorId === filter.groupId)) return false;
      if (filter.roleId !== undefined && r.roleId !== filter.roleId) return false;
      if (projectIds !== undefined && !(r.targetType === 'project' && projectIds.includes(r.targetId))) return false;
      if (filter.domainId !== undefined && !(r.targetType === 'domain' && r.targetId === filter.domainId)) return false;
      if (filter.system === true && r.targetType !== 'system') return false;
      if (filter.inheritedOnly === true && !r.inherited) return false;
      return true;
    });
  }

  /** Grant a role; checks the role, actor and target exist. */
  async grant(a: Assignment): Promise<void> {
    await this.#checkAssignmentRefs(a);
    await this.roles.grant(a);
    this.invalidate();
  }

  /** Revoke a role; 404 when there was no such grant. */
  async revoke(a: Assignment): Promise<void> {
    await this.#checkAssignmentRefs(a);
    if (!(await this.roles.revoke(a))) throw new NotFound(`Could not find role assignment with role: ${a.roleId}, ${a.actorType}: ${a.actorId}, ${a.targetType}: ${a.targetId}.`, {}, 'RoleAssignmentNotFound');
    this.invalidate();
  }

  /** 404 unless the grant exists (HEAD/GET on a grant). */
  async checkGrant(a: Assignment): Promise<void> {
    await this.#checkAssignmentRefs(a);
    if (!(await this.roles.hasGrant(a))) throw new NotFound(`Could not find role assignment with role: ${a.roleId}.`, {}, 'RoleAssignmentNotFound');
  }

  /** Roles granted directly to an actor on a target (GET /v3/projects/{p}/users/{u}/roles). */
  async listGrants(a: Omit<Assignment, 'roleId'>): Promise<Role[]> {
    await this.#checkAssignmentRefs({ ...a, roleId: '' });
    const rows = await this.roles.listAssignments({ actorType: a.actorType, actorIds: [a.actorId], targetType: a.targetType, targetIds: [a.targetId], inherited: a.inherited });
    return this.roles.list({ ids: rows.map((r) => r.roleId) });
  }

  async #checkAssignmentRefs(a: Assignment): Promise<void> {
    if (a.roleId !== '') await this.roles.get(a.roleId);
    if (a.actorType === 'user') await this.users.get(a.actorId);
    else await this.users.getGroup(a.actorId);
    if (a.targetType === 'project') await this.projects.get(a.targetId);
    else if (a.targetType === 'domain') await this.domains.get(a.targetId);
  }

  // ===== identity CRUD with keystone's rules ==========================================

  /**
   * Create a project; the parent must be in the same domain. With `isDomain` the project acts as a
   * domain: a domain is created and shown as a project (keystone's is_domain projects).
   */
  async createProject(input: { name: string; domainId?: string; parentId?: string | null; description?: string; enabled?: boolean; tags?: string[]; isDomain?: boolean; extra?: Record<string, unknown> }): Promise<Project> {
    if (input.isDomain === true) {
      if (input.domainId !== undefined || input.parentId != null) throw new BadRequest('A project acting as a domain cannot have a domain or a parent.');
      const d = await this.domains.create({
        name: input.name,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(input.extra !== undefined ? { extra: input.extra } : {}),
      });
      this.invalidate();
      return domainAsProject(d);
    }
    let domainId = input.domainId;
    let parentId: string | null = input.parentId ?? null;
    if (parentId !== null) {
      const parent = await this.projects.find(parentId);
      if (parent === undefined) throw new NotFound(`Could not find project: ${parentId}.`, {}, 'ProjectNotFound');
      if (domainId !== undefined && domainId !== parent.domainId) throw new BadRequest('Cannot create project, the parent is in a different domain.');
      domainId = parent.domainId;
    }
    domainId ??= DEFAULT_DOMAIN_ID;
    if (parentId === domainId) parentId = null;
    const domain = await this.domains.find(domainId);
    if (domain === undefined) throw new NotFound(`Could not find domain: ${domainId}.`, {}, 'DomainNotFound');
    const p = await this.projects.create({
      name: input.name,
      domainId,
      parentId,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      ...(input.extra !== undefined ? { extra: input.extra } : {}),
    });
    return p;
  }

  /** A project, or a domain seen as a project; 404 when neither exists. */
  async getProjectOrDomain(id: string): Promise<Project> {
    const p = await this.projects.find(id);
    if (p !== undefined) return p;
    const d = await this.domains.find(id);
    if (d !== undefined) return domainAsProject(d);
    throw new NotFound(`Could not find project: ${id}.`, { id }, 'ProjectNotFound');
  }

  /** Domains seen as projects (GET /v3/projects?is_domain=true); a domain filter matches none, domains have no domain. */
  async domainsAsProjects(filter: { name?: string; enabled?: boolean; domainId?: string }): Promise<Project[]> {
    if (filter.domainId !== undefined) return [];
    const domains = await this.domains.list({ ...(filter.name !== undefined ? { name: filter.name } : {}), ...(filter.enabled !== undefined ? { enabled: filter.enabled } : {}) });
    return domains.map(domainAsProject);
  }

  /** Delete a project: refused while it has children; removes what hangs off it. A domain-project deletes the domain. */
  async deleteProject(id: string): Promise<void> {
    const p = await this.getProjectOrDomain(id);
    if (p.isDomain) return this.deleteDomain(id);
    if ((await this.projects.children(id)).length > 0) throw new Forbidden(`Cannot delete project ${id}: it has subprojects.`);
    await this.#forgetProject(id);
    await this.addRevocation({ projectId: id, issuedBefore: nowIso() });
  }

  async #forgetProject(id: string): Promise<void> {
    await this.roles.deleteAssignmentsOf('target', id);
    await this.appCreds.deleteFor('project', id);
    await this.#credentialStore.deleteFor('project', id);
    for (const t of await this.#trustStore.idsFor('project', id)) await this.#trustStore.delete(t);
    await this.endpointFilter.forget('project', id);
    await this.projects.delete(id);
  }

  /** Update a project (or a domain seen as a project); disabling revokes its tokens. */
  async updateProject(id: string, input: { name?: string; description?: string; enabled?: boolean; tags?: string[]; extra?: Record<string, unknown> }): Promise<Project> {
    if ((await this.getProjectOrDomain(id)).isDomain) {
      const { tags: _tags, ...rest } = input;
      return domainAsProject(await this.updateDomain(id, rest));
    }
    const p = await this.projects.update(id, input);
    if (input.enabled === false) await this.addRevocation({ projectId: id, issuedBefore: nowIso() });
    else this.invalidate();
    return p;
  }

  /** Update a domain; disabling revokes the tokens scoped to it and its users'. */
  async updateDomain(id: string, input: { name?: string; description?: string; enabled?: boolean; extra?: Record<string, unknown> }): Promise<Domain> {
    if (id === DEFAULT_DOMAIN_ID && input.enabled === false) throw new Forbidden('The default domain cannot be disabled.');
    const d = await this.domains.update(id, input);
    if (input.enabled === false) await this.addRevocation({ domainId: id, issuedBefore: nowIso() });
    else this.invalidate();
    return d;
  }

  /** Delete a domain: it must be disabled first; everything it owns goes with it. */
  async deleteDomain(id: string): Promise<void> {
    const d = await this.domains.get(id);
    if (d.enabled) throw new Forbidden(`Cannot delete a domain that is enabled, please disable it first.`, {}, 'ForbiddenAction');
    for (const p of await this.projects.list({ domainId: id })) await this.#forgetProject(p.id);
    for (const u of await this.users.list({ domainId: id })) await this.deleteUser(u.id);
    for (const g of await this.users.listGroups({ domainId: id })) await this.deleteGroup(g.id);
    for (const r of await this.roles.list({ domainId: id })) await this.deleteRole(r.id);
    await this.roles.deleteAssignmentsOf('target', id);
    await this.domainConfigs.forgetDomain(id);
    await this.domains.delete(id);
    this.invalidate();
  }

  /** Create a user in an existing domain (404 when it is missing); the default project, if given, must exist. */
  async createUser(input: { name: string; domainId?: string; password?: string | null; enabled?: boolean; defaultProjectId?: string | null; extra?: Record<string, unknown> }): Promise<User> {
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID;
    await this.domains.get(domainId);
    if (input.defaultProjectId != null) await this.projects.get(input.defaultProjectId);
    return this.users.create({ ...input, domainId });
  }

  /** Update a user; a new password or disabling revokes the user's tokens. */
  async updateUser(id: string, input: { name?: string; enabled?: boolean; password?: string | null; defaultProjectId?: string | null; extra?: Record<string, unknown> }): Promise<User> {
    if (input.defaultProjectId != null) await this.projects.get(input.defaultProjectId);
    const u = await this.users.update(id, input);
    if (input.enabled === false || input.password !== undefined) await this.addRevocation({ userId: id, issuedBefore: nowIso() });
    else this.invalidate();
    return u;
  }

  /** POST /v3/users/{id}/password: checks the old password, sets the new one, revokes the user's tokens. */
  async changePassword(id: string, original: string, password: string): Promise<void> {
    await this.users.get(id);
    if (!(await this.users.checkPassword(id, original))) throw new Unauthorized('The request you have made requires authentication.', {}, 'InvalidCredentials');
    await this.users.update(id, { password });
    await this.addRevocation({ userId: id, issuedBefore: nowIso() });
  }

  /** Delete a user with its grants, memberships, app credentials, access rules, credentials and trusts; its tokens die. */
  async deleteUser(id: string): Promise<void> {
    await this.users.get(id);
    await this.roles.deleteAssignmentsOf('actor', id);
    await this.appCreds.deleteFor('user', id);
    await this.accessRules.deleteForUser(id);
    await this.#credentialStore.deleteFor('user', id);
    for (const t of await this.#trustStore.idsFor('user', id)) await this.#trustStore.delete(t);
    await this.users.delete(id);
    await this.addRevocation({ userId: id, issuedBefore: nowIso() });
  }

  async deleteGroup(id: string): Promise<void> {
    await this.users.getGroup(id);
    await this.roles.deleteAssignmentsOf('actor', id);
    await this.users.deleteGroup(id);
    this.invalidate();
  }

  /** Delete a role, every grant of it and its place in trusts. */
  async deleteRole(id: string): Promise<void> {
    await this.roles.get(id);
    await this.roles.delete(id);
    await this.#trustStore.forgetRole(id);
    this.invalidate();
  }

  /** Create an application credential for the token's user on the token's project. */
  async createAppCredential(token: ValidatedToken, userId: string, input: { name: string; secret?: string; description?: string; expires_at?: string | null; unrestricted?: boolean; roles?: Array<{ id?: string; name?: string }>; access_rules?: AccessRuleSpec[] }): Promise<AppCredential & { secret: string }> {
    if (token.user.id !== userId) throw new Forbidden('You are not authorized to perform the requested action: identity:create_application_credential.');
    if (token.project === undefined) throw new Forbidden('Application credentials need a project-scoped token.');
    if (token.appCred !== undefined && token.appCred.restricted) throw new Forbidden('A restricted application credential cannot create another application credential.');
    const held = token.roles;
    let roles = held.map((r) => ({ id: r.id, name: r.name }));
    if (input.roles !== undefined && input.roles.length > 0) {
      roles = [];
      for (const want of input.roles) {
        const match = held.find((h) => (want.id !== undefined && h.id === want.id) || (want.name !== undefined && h.name === want.name));
        if (match === undefined) throw new NotFound(`Could not find role: ${want.id ?? want.name}.`, {}, 'RoleNotFound');
        roles.push({ id: match.id, name: match.name });
      }
    }
    let expiresAt: string | null = null;
    if (input.expires_at != null) {
      expiresAt = parseTimestamp(input.expires_at, 'expires_at');
      if (timestampMs(expiresAt) <= Date.now()) throw new BadRequest('The expiration time of an application credential must be in the future.', {}, 'ValidationExpirationError');
    }
    const accessRules = [];
    for (const spec of input.access_rules ?? []) accessRules.push(await this.accessRules.resolve(userId, spec));
    const secret = input.secret ?? newAuditId() + newAuditId();
    const cred = await this.appCreds.create({
      name: input.name,
      userId,
      projectId: token.project.id,
      description: input.description ?? '',
      expiresAt,
      unrestricted: input.unrestricted ?? false,
      roles,
      accessRules,
      secret,
    });
    return { ...cred, secret };
  }

  /** Delete an application credential; tokens made from it die. */
  async deleteAppCredential(userId: string, id: string): Promise<void> {
    await this.appCreds.get(userId, id);
    await this.appCreds.delete(id);
    await this.addRevocation({ appCredId: id, issuedBefore: nowIso() });
  }

  /** Create a role; a domain role's domain must exist. */
  async createRole(input: { name: string; domainId?: string | null; description?: string; extra?: Record<string, unknown> }): Promise<Role> {
    if (input.domainId != null) await this.domains.get(input.domainId);
    return this.roles.create(input);
  }

  /** Add an implied role: both roles exist, no self-implication, and a global role cannot imply a domain-specific one. */
  async addImpliedRole(priorId: string, impliedId: string): Promise<{ prior: Role; implied: Role }> {
    const prior = await this.roles.get(priorId);
    const implied = await this.roles.get(impliedId);
    if (priorId === impliedId) throw new Forbidden('A role cannot imply itself.', {}, 'InvalidImpliedRole');
    if (prior.domainId === null && implied.domainId !== null) throw new Forbidden(`${impliedId} is not a valid implied role: Global role cannot imply a domain-specific role.`, {}, 'InvalidImpliedRole');
    await this.roles.addImplied(priorId, impliedId);
    this.invalidate();
    return { prior, implied };
  }

  // ===== catalog =====================================================================

  /**
   * The catalog tokens carry: enabled services with their enabled endpoints, URLs substituted for
   * the project. A project with OS-EP-FILTER associations sees only its associated endpoints.
   */
  async catalogFor(projectId: string | undefined): Promise<CatalogEntry[]> {
    if (this.#catalogCache === undefined || this.#catalogCache.gen !== this.#generation) {
      const services = await this.catalog.listServices();
      const endpoints = await this.catalog.listEndpoints();
      this.#catalogCache = { gen: this.#generation, entries: buildCatalog(services, endpoints), allowed: new Map() };
    }
    const cache = this.#catalogCache;
    let allowed: Set<string> | null = null;
    if (projectId !== undefined) {
      if (!cache.allowed.has(projectId)) cache.allowed.set(projectId, await this.projectEndpointIds(projectId));
      allowed = cache.allowed.get(projectId) ?? null;
    }
    return cache.entries
      .map((e) => ({
        ...e,
        endpoints: e.endpoints.flatMap((ep) => {
          if (allowed !== null && !allowed.has(ep.id)) return [];
          const url = substituteUrl(ep.url, projectId);
          return url === undefined ? [] : [{ ...ep, url }];
        }),
      }))
      .filter((e) => e.endpoints.length > 0);
  }

  /** Endpoint ids a project's catalog is limited to (direct and through groups), or null when it has no associations. */
  async projectEndpointIds(projectId: string): Promise<Set<string> | null> {
    const direct = await this.endpointFilter.endpointIdsOfProject(projectId);
    const groups = await this.endpointFilter.listGroups({ ids: await this.endpointFilter.groupIdsOfProject(projectId) });
    if (direct.length === 0 && groups.length === 0) return null;
    const ids = new Set(direct);
    if (groups.length > 0) {
      for (const e of await this.catalog.listEndpoints()) if (groups.some((g) => endpointMatches(e, g.filters))) ids.add(e.id);
    }
    return ids;
  }

  /** Delete an endpoint and its project associations. */
  async deleteEndpoint(id: string): Promise<void> {
    await this.catalog.getEndpoint(id);
    await this.endpointFilter.forget('endpoint', id);
    await this.catalog.deleteEndpoint(id);
    this.invalidate();
  }

  /** Delete a service with its endpoints and their project associations. */
  async deleteService(id: string): Promise<void> {
    await this.catalog.getService(id);
    for (const e of await this.catalog.listEndpoints({ serviceId: id })) await this.endpointFilter.forget('endpoint', e.id);
    await this.catalog.deleteService(id);
    this.invalidate();
  }

  /**
   * An endpoint given the legacy `region` attribute (not `region_id`) gets its region created when
   * missing, for backward compatibility as keystone does.
   */
  async ensureLegacyRegion(regionId: string): Promise<void> {
    if ((await this.catalog.findRegion(regionId)) !== undefined) return;
    try {
      await this.catalog.createRegion({ id: regionId });
    } catch (err) {
      // NOTE: a concurrent request may have created it; that is as good.
      if ((await this.catalog.findRegion(regionId)) === undefined) throw err;
    }
    this.invalidate();
  }

  /** Check an endpoint's service and region exist. */
  async checkEndpointRefs(serviceId: string | undefined, regionId: string | null | undefined): Promise<void> {
    if (serviceId !== undefined) await this.catalog.getService(serviceId).catch(() => {
      throw new BadRequest(`Service ${serviceId} does not exist.`);
    });
    if (regionId != null && (await this.catalog.findRegion(regionId)) === undefined) throw new BadRequest(`Region ${regionId} does not exist.`);
  }

  /** Refuse to delete a region that has child regions. */
  async deleteRegion(id: string): Promise<void> {
    await this.catalog.getRegion(id);
    if ((await this.catalog.listRegions({ parentRegionId: id })).length > 0) throw new Conflict(`Cannot delete region ${id}: it has child regions.`);
    await this.catalog.deleteRegion(id);
    this.invalidate();
  }
}

/** A domain as the project API shows it (is_domain: true). */
function domainAsProject(d: Domain): Project {
  return { id: d.id, name: d.name, domainId: d.id, parentId: null, description: d.description, enabled: d.enabled, tags: [], extra: d.extra, isDomain: true };
}

function tokenNotFound(): NotFound {
  return new NotFound('Could not find token.', {}, 'TokenNotFound');
}

function buildCatalog(services: Service[], endpoints: Endpoint[]): CatalogEntry[] {
  return services
    .filter((s) => s.enabled)
    .map((s) => ({
      id: s.id,
      type: s.type,
      name: s.name,
      endpoints: endpoints
        .filter((e) => e.serviceId === s.id && e.enabled)
        .map((e) => ({ id: e.id, interface: e.interface, region: e.regionId, region_id: e.regionId, url: e.url })),
    }));
}

/** Fill `%(project_id)s` / `$(project_id)s` / `%(tenant_id)s`; undefined when the URL needs a project and there is none. */
export function substituteUrl(url: string, projectId: string | undefined): string | undefined {
  const pattern = /[%$]\((project_id|tenant_id)\)s/g;
  if (!pattern.test(url)) return url;
  if (projectId === undefined) return undefined;
  return url.replace(pattern, projectId);
}
