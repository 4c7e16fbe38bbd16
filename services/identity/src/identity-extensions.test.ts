import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrateToLatest } from '@strata/db';
import { silentLogger } from '@strata/log';
import { testDatabases } from '@strata/testing';
import { IdentityService } from './identity-service.js';
import { bootstrap } from './bootstrap.js';
import { identityMigrations } from './db/migrations.js';
import { initial } from './db/migrations/0001-initial.js';
import type { IdentityDatabase } from './db/schema.js';

interface Res {
  status: number;
  body: any;
}

const BOOT = {
  adminUser: 'admin',
  adminProject: 'admin',
  adminPassword: 'pw',
  region: 'RegionOne',
  services: [
    { type: 'identity', name: 'keystone', description: 'Identity', urls: { public: 'http://id/v3', internal: 'http://id/v3', admin: 'http://id/v3' } },
    { type: 'compute', name: 'nova', description: 'Compute', urls: { public: 'http://nova/v2.1', internal: 'http://nova/v2.1', admin: 'http://nova/v2.1' } },
  ],
};

for (const engine of await testDatabases()) {
  describe(`${engine.name}: keystone extensions over the REST edge`, { skip: engine.skip }, () => {
    let svc: IdentityService;
    let drop: () => Promise<void>;
    let keyDir: string;
    let admin: string;

    const call = async (method: string, url: string, opts: { token?: string; body?: unknown } = {}): Promise<Res> => {
      const res = await svc.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(opts.token !== undefined ? { 'x-auth-token': opts.token } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
      });
      return { status: res.statusCode, body: res.body === '' ? undefined : JSON.parse(res.body) };
    };
    const login = async (name: string, password: string, scope?: object): Promise<string> => {
      const t = await svc.api.authenticate({ methods: ['password'], password: { user: { name, password, domain: { id: 'default' } } } }, scope as never);
      return t.id;
    };
    /** A user with `member` on a new project, and its project-scoped token. */
    const member = async (name: string): Promise<{ userId: string; projectId: string; token: string }> => {
      const p = (await call('POST', '/v3/projects', { token: admin, body: { project: { name: `${name}-p` } } })).body.project;
      const u = (await call('POST', '/v3/users', { token: admin, body: { user: { name, password: `${name}-pw` } } })).body.user;
      const role = (await call('GET', '/v3/roles?name=member', { token: admin })).body.roles[0];
      assert.equal((await call('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${role.id}`, { token: admin })).status, 204);
      return { userId: u.id, projectId: p.id, token: await login(name, `${name}-pw`, { project: { id: p.id } }) };
    };

    before(async () => {
      const made = await engine.create();
      drop = made.drop;
      keyDir = mkdtempSync(join(tmpdir(), 'strata-keys-'));
      svc = await IdentityService.create({ databaseUrl: made.url, keyDir, logger: silentLogger(), passwordHashRounds: 4 });
      await bootstrap(svc.api, BOOT);
      admin = await login('admin', 'pw', { project: { name: 'admin', domain: { id: 'default' } } });
    });
    after(async () => {
      await svc?.close();
      await drop?.();
      rmSync(keyDir, { recursive: true, force: true });
    });

    test('credentials: owner or admin; EC2 ids hash the access key; OS-EC2 lists, shows and deletes by access key', async () => {
      const m = await member('cred-user');
      const blob = JSON.stringify({ access: 'AK1', secret: 'SK1' });
      const c = await call('POST', '/v3/credentials', { token: m.token, body: { credential: { user_id: m.userId, project_id: m.projectId, type: 'ec2', blob } } });
      assert.equal(c.status, 201);
      assert.match(c.body.credential.id, /^[0-9a-f]{64}$/);
      assert.equal(c.body.credential.blob, blob);
      assert.equal((await call('POST', '/v3/credentials', { token: m.token, body: { credential: { user_id: m.userId, type: 'ec2', blob } } })).status, 409);
      assert.equal((await call('POST', '/v3/credentials', { token: m.token, body: { credential: { user_id: m.userId, type: 'ec2', blob: '{"secret":"x"}' } } })).status, 400);
      const other = await member('cred-other');
      assert.equal((await call('GET', `/v3/credentials/${c.body.credential.id}`, { token: other.token })).status, 403);
      assert.deepEqual((await call('GET', '/v3/credentials', { token: other.token })).body.credentials, []);
      const patched = await call('PATCH', `/v3/credentials/${c.body.credential.id}`, { token: m.token, body: { credential: { blob: JSON.stringify({ access: 'AK2', secret: 'SK2' }), project_id: other.projectId } } });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.credential.project_id, other.projectId);

      const ec2 = await call('POST', `/v3/users/${m.userId}/credentials/OS-EC2`, { token: m.token, body: { tenant_id: m.projectId } });
      assert.equal(ec2.status, 201);
      const { access, secret } = ec2.body.credential;
      assert.equal(ec2.body.credential.tenant_id, m.projectId);
      assert.equal((await call('GET', `/v3/users/${m.userId}/credentials/OS-EC2/${access}`, { token: m.token })).body.credential.secret, secret);
      assert.ok((await call('GET', `/v3/users/${m.userId}/credentials/OS-EC2`, { token: m.token })).body.credentials.some((x: { access: string }) => x.access === access));
      assert.equal((await call('GET', `/v3/users/${m.userId}/credentials/OS-EC2`, { token: other.token })).status, 403);
      assert.equal((await call('DELETE', `/v3/users/${m.userId}/credentials/OS-EC2/${access}`, { token: m.token })).status, 204);
      assert.equal((await call('GET', `/v3/users/${m.userId}/credentials/OS-EC2/${access}`, { token: m.token })).status, 404);
      assert.equal((await call('DELETE', `/v3/users/${m.userId}`, { token: admin })).status, 204);
      assert.equal((await call('GET', `/v3/credentials/${c.body.credential.id}`, { token: admin })).status, 404, 'a deleted user takes its credentials along');
    });

    test('trusts: only the trustor creates, roles must be held, expiry keeps microseconds, parties see it, trustor deletes', async () => {
      const trustor = await member('trustor');
      const trustee = await member('trustee');
      const body = (extra: object) => ({ trust: { trustor_user_id: trustor.userId, trustee_user_id: trustee.userId, project_id: trustor.projectId, impersonation: false, roles: [{ name: 'member' }], ...extra } });
      assert.equal((await call('POST', '/v3/OS-TRUST/trusts', { token: trustee.token, body: body({}) })).status, 403, 'not the trustor');
      assert.equal((await call('POST', '/v3/OS-TRUST/trusts', { token: trustor.token, body: body({ roles: [{ name: 'admin' }] }) })).status, 404, 'a role the trustor lacks');
      assert.equal((await call('POST', '/v3/OS-TRUST/trusts', { token: trustor.token, body: body({ expires_at: 'bad.123Z' }) })).status, 400);
      assert.equal((await call('POST', '/v3/OS-TRUST/trusts', { token: trustor.token, body: body({ roles: [] }) })).status, 403, 'a project trust needs a role');
      const expires = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, '.123456Z');
      const t = await call('POST', '/v3/OS-TRUST/trusts', { token: trustor.token, body: body({ expires_at: expires }) });
      assert.equal(t.status, 201);
      assert.equal(t.body.trust.expires_at, expires);
      assert.deepEqual(t.body.trust.roles.map((r: { name: string }) => r.name), ['member']);
      const id = t.body.trust.id;
      assert.equal((await call('GET', `/v3/OS-TRUST/trusts/${id}`, { token: trustee.token })).status, 200);
      const roles = await call('GET', `/v3/OS-TRUST/trusts/${id}/roles`, { token: trustor.token });
      assert.equal(roles.body.roles.length, 1);
      const reader = (await call('GET', '/v3/roles?name=reader', { token: admin })).body.roles[0];
      assert.equal((await call('GET', `/v3/OS-TRUST/trusts/${id}/roles/${reader.id}`, { token: trustor.token })).status, 404);
      assert.equal((await call('GET', `/v3/OS-TRUST/trusts?trustor_user_id=${trustor.userId}`, { token: trustor.token })).body.trusts.length, 1);
      assert.equal((await call('GET', '/v3/OS-TRUST/trusts', { token: trustor.token })).status, 403, 'listing every trust is for admins');
      assert.equal((await call('GET', `/v3/OS-TRUST/trusts?trustor_user_id=${trustor.userId}`, { token: trustee.token })).status, 403);
      assert.equal((await call('DELETE', `/v3/OS-TRUST/trusts/${id}`, { token: trustee.token })).status, 403);
      assert.equal((await call('DELETE', `/v3/OS-TRUST/trusts/${id}`, { token: trustor.token })).status, 204);
      assert.equal((await call('GET', `/v3/OS-TRUST/trusts/${id}`, { token: trustor.token })).status, 404);
    });

    test('trust tokens: the trustee gets the trust project with the delegated roles; uses run out; deleting the trust kills its tokens', async () => {
      const trustor = await member('t-trustor');
      const trustee = await member('t-trustee');
      const outsider = await member('t-outsider');
      const makeTrust = async (extra: object): Promise<string> => {
        const made = await call('POST', '/v3/OS-TRUST/trusts', {
          token: trustor.token,
          body: { trust: { trustor_user_id: trustor.userId, trustee_user_id: trustee.userId, project_id: trustor.projectId, impersonation: true, roles: [{ name: 'member' }], ...extra } },
        });
        assert.equal(made.status, 201);
        return made.body.trust.id;
      };
      let trustId = await makeTrust({ remaining_uses: 1 });
      const viaTrust = (name: string) => svc.app.inject({
        method: 'POST',
        url: '/v3/auth/tokens',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name, password: `${name}-pw`, domain: { id: 'default' } } } }, scope: { 'OS-TRUST:trust': { id: trustId } } } }),
      });
      assert.equal((await viaTrust('t-outsider')).statusCode, 403, 'only the trustee may use the trust');
      const issued = await viaTrust('t-trustee');
      assert.equal(issued.statusCode, 201);
      const body = JSON.parse(issued.body).token;
      assert.equal(body.project.id, trustor.projectId);
      assert.equal(body.user.id, trustor.userId, 'impersonation makes the token the trustor\'s');
      assert.deepEqual(body['OS-TRUST:trust'], { id: trustId, impersonation: true, trustee_user: { id: trustee.userId }, trustor_user: { id: trustor.userId } });
      assert.deepEqual(body.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
      assert.equal((await viaTrust('t-trustee')).statusCode, 404, 'remaining_uses ran out');
      assert.equal((await call('GET', `/v3/OS-TRUST/trusts/${trustId}`, { token: trustor.token })).status, 404, 'a used-up trust is gone, as in keystone');
      trustId = await makeTrust({});
      const again = await viaTrust('t-trustee');
      assert.equal(again.statusCode, 201);
      const tokenId = again.headers['x-subject-token'] as string;
      assert.equal((await svc.api.validate(tokenId)).trust?.id, trustId);
      await assert.rejects(svc.api.authenticate({ methods: ['token'], token: { id: tokenId } }, { project: { id: outsider.projectId } }), (err: { status?: number }) => err.status === 403);
      assert.equal((await call('DELETE', `/v3/OS-TRUST/trusts/${trustId}`, { token: trustor.token })).status, 204);
      await assert.rejects(svc.api.validate(tokenId), (err: { status?: number }) => err.status === 404);
    });

    test('access rules outlive their application credential and cannot be deleted while used', async () => {
      const m = await member('rules-user');
      const rule = { service: 'compute', method: 'GET', path: '/v2.1/servers/*/ips' };
      const a1 = await call('POST', `/v3/users/${m.userId}/application_credentials`, { token: m.token, body: { application_credential: { name: 'a1', access_rules: [rule] } } });
      assert.equal(a1.status, 201);
      const ruleId = a1.body.application_credential.access_rules[0].id;
      const a2 = await call('POST', `/v3/users/${m.userId}/application_credentials`, { token: m.token, body: { application_credential: { name: 'a2', access_rules: [rule] } } });
      assert.equal(a2.body.application_credential.access_rules[0].id, ruleId, 'the same rule is reused');
      assert.equal((await call('GET', `/v3/users/${m.userId}/access_rules`, { token: m.token })).body.access_rules.length, 1);
      assert.equal((await call('DELETE', `/v3/users/${m.userId}/access_rules/${ruleId}`, { token: m.token })).status, 403);
      for (const a of [a1, a2]) assert.equal((await call('DELETE', `/v3/users/${m.userId}/application_credentials/${a.body.application_credential.id}`, { token: m.token })).status, 204);
      assert.equal((await call('GET', `/v3/users/${m.userId}/access_rules/${ruleId}`, { token: m.token })).status, 200);
      assert.equal((await call('DELETE', `/v3/users/${m.userId}/access_rules/${ruleId}`, { token: m.token })).status, 204);
      assert.equal((await call('GET', `/v3/users/${m.userId}/access_rules`, { token: m.token })).body.access_rules.length, 0);
      const expires = await call('POST', `/v3/users/${m.userId}/application_credentials`, { token: m.token, body: { application_credential: { name: 'a3', expires_at: '2999-01-02T03:04:05.123456' } } });
      assert.equal(expires.body.application_credential.expires_at, '2999-01-02T03:04:05.123456');
    });

    test('domain config: whitelisted options only, merge on update, partial reads and deletes, defaults', async () => {
      const d = (await call('POST', '/v3/domains', { token: admin, body: { domain: { name: 'cfg-domain' } } })).body.domain;
      const url = `/v3/domains/${d.id}/config`;
      assert.equal((await call('GET', url, { token: admin })).status, 404);
      assert.equal((await call('PUT', url, { token: admin, body: { config: { nova: { x: 1 } } } })).status, 403);
      const created = await call('PUT', url, { token: admin, body: { config: { identity: { driver: 'ldap' }, ldap: { url: 'ldap://a', password: 'secret' } } } });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body.config, { identity: { driver: 'ldap' }, ldap: { url: 'ldap://a' } }, 'sensitive options are never shown');
      assert.equal((await call('PUT', url, { token: admin, body: { config: { identity: { driver: 'ldap' } } } })).status, 200);
      assert.equal((await call('PATCH', `${url}/ldap`, { token: admin, body: { config: { ldap: { url: 'ldap://b' } } } })).status, 404, 'PUT replaced the whole config');
      const merged = await call('PATCH', `${url}/identity/driver`, { token: admin, body: { config: { driver: 'sql' } } });
      assert.deepEqual(merged.body.config, { identity: { driver: 'sql' } });
      assert.deepEqual((await call('GET', `${url}/identity/driver`, { token: admin })).body.config, { driver: 'sql' });
      assert.equal((await call('DELETE', `${url}/identity/driver`, { token: admin })).status, 204);
      assert.equal((await call('GET', `${url}/identity`, { token: admin })).status, 404);
      const defaults = await call('GET', '/v3/domains/config/default', { token: admin });
      assert.equal(defaults.body.config.identity.driver, 'sql');
      assert.equal(defaults.body.config.ldap.password, undefined);
      assert.deepEqual((await call('GET', '/v3/domains/config/ldap/url/default', { token: admin })).body.config, { url: 'ldap://localhost' });
      assert.equal((await call('GET', '/v3/domains/config/ldap/password/default', { token: admin })).status, 403);
    });

    test('endpoint groups limit the catalog of the projects they are associated with', async () => {
      const m = await member('ep-user');
      const nova = (await call('GET', '/v3/services?type=compute', { token: admin })).body.services[0];
      const catalogTypes = async (): Promise<string[]> => (await svc.api.catalogFor(m.projectId)).map((e) => e.type).sort();
      assert.deepEqual(await catalogTypes(), ['compute', 'identity']);
      assert.equal((await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { token: admin, body: { endpoint_group: { name: 'bad', filters: { url: 'x' } } } })).status, 400);
      const g = await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { token: admin, body: { endpoint_group: { name: 'compute-only', filters: { service_id: nova.id } } } });
      assert.equal(g.status, 201);
      const gid = g.body.endpoint_group.id;
      assert.equal((await call('GET', `/v3/OS-EP-FILTER/endpoint_groups/${gid}/endpoints`, { token: admin })).body.endpoints.length, 3);
      assert.equal((await call('PUT', `/v3/OS-EP-FILTER/endpoint_groups/${gid}/projects/${m.projectId}`, { token: admin })).status, 204);
      assert.deepEqual(await catalogTypes(), ['compute']);
      assert.equal((await call('DELETE', `/v3/OS-EP-FILTER/endpoint_groups/${gid}`, { token: admin })).status, 204);
      assert.deepEqual(await catalogTypes(), ['compute', 'identity']);
      assert.equal((await call('POST', '/v3/OS-EP-FILTER/endpoint_groups', { token: m.token, body: { endpoint_group: { name: 'x', filters: { interface: 'public' } } } })).status, 403);
    });

    test('policies and OAuth1 consumers: admin CRUD; a consumer secret shows once', async () => {
      const p = await call('POST', '/v3/policies', { token: admin, body: { policy: { type: 'application/json', blob: '{}' } } });
      assert.equal(p.status, 201);
      assert.equal((await call('PATCH', `/v3/policies/${p.body.policy.id}`, { token: admin, body: { policy: { type: 'text/plain' } } })).body.policy.type, 'text/plain');
      assert.equal((await call('DELETE', `/v3/policies/${p.body.policy.id}`, { token: admin })).status, 204);
      assert.equal((await call('GET', `/v3/policies/${p.body.policy.id}`, { token: admin })).status, 404);
      const c = await call('POST', '/v3/OS-OAUTH1/consumers', { token: admin, body: { consumer: { description: 'app' } } });
      assert.equal(c.status, 201);
      assert.ok(c.body.consumer.secret);
      const shown = await call('GET', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`, { token: admin });
      assert.equal(shown.body.consumer.secret, undefined);
      assert.equal((await call('PATCH', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`, { token: admin, body: { consumer: { secret: 'x' } } })).status, 400);
      assert.equal((await call('DELETE', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`, { token: admin })).status, 204);
    });

    test('projects acting as domains; domain roles stay out of tokens; a global role cannot imply a domain role', async () => {
      const p = await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'as-domain', domain_id: null, is_domain: true } } });
      assert.equal(p.status, 201);
      assert.equal(p.body.project.is_domain, true);
      assert.equal(p.body.project.domain_id, null);
      assert.ok((await call('GET', '/v3/domains', { token: admin })).body.domains.some((d: { id: string }) => d.id === p.body.project.id));
      assert.ok((await call('GET', '/v3/projects?is_domain=true', { token: admin })).body.projects.some((x: { id: string }) => x.id === p.body.project.id));
      assert.ok(!(await call('GET', '/v3/projects', { token: admin })).body.projects.some((x: { id: string }) => x.id === p.body.project.id));
      assert.equal((await call('PATCH', `/v3/projects/${p.body.project.id}`, { token: admin, body: { project: { enabled: false } } })).status, 200);
      assert.equal((await call('DELETE', `/v3/projects/${p.body.project.id}`, { token: admin })).status, 204);
      assert.equal((await call('GET', `/v3/domains/${p.body.project.id}`, { token: admin })).status, 404);

      const m = await member('domain-role-user');
      const droleRes = await call('POST', '/v3/roles', { token: admin, body: { role: { name: 'drole', domain_id: 'default' } } });
      const drole = droleRes.body.role;
      const global = (await call('POST', '/v3/roles', { token: admin, body: { role: { name: 'implied-by-drole' } } })).body.role;
      assert.equal((await call('PUT', `/v3/roles/${global.id}/implies/${drole.id}`, { token: admin })).status, 403);
      assert.equal((await call('PUT', `/v3/roles/${drole.id}/implies/${global.id}`, { token: admin })).status, 201);
      assert.equal((await call('HEAD', `/v3/roles/${drole.id}/implies/${global.id}`, { token: admin })).status, 204);
      assert.equal((await call('PUT', `/v3/projects/${m.projectId}/users/${m.userId}/roles/${drole.id}`, { token: admin })).status, 204);
      const t = await svc.api.authenticate({ methods: ['password'], password: { user: { name: 'domain-role-user', password: 'domain-role-user-pw', domain: { id: 'default' } } } }, { project: { id: m.projectId } });
      const names = t.roles.map((r) => r.name);
      assert.ok(names.includes('implied-by-drole'));
      assert.ok(!names.includes('drole'));
      const eff = await call('GET', `/v3/role_assignments?effective&user.id=${m.userId}&scope.project.id=${m.projectId}`, { token: admin });
      assert.ok(!eff.body.role_assignments.some((a: { role: { id: string } }) => a.role.id === drole.id));
    });

    test('non-admins cannot list projects; a user validates its own other tokens; endpoints with a legacy region create it', async () => {
      const m = await member('plain-user');
      assert.equal((await call('GET', '/v3/projects', { token: m.token })).status, 403);
      const second = await login('plain-user', 'plain-user-pw');
      const shown = await svc.app.inject({ method: 'GET', url: '/v3/auth/tokens', headers: { 'x-auth-token': m.token, 'x-subject-token': second } });
      assert.equal(shown.statusCode, 200);
      assert.equal((await svc.app.inject({ method: 'GET', url: '/v3/auth/tokens', headers: { 'x-auth-token': m.token, 'x-subject-token': admin } })).statusCode, 403);
      assert.equal((await call('POST', '/v3/users', { token: admin, body: { user: { name: 'nowhere', domain_id: 'no-such-domain' } } })).status, 404);
      assert.equal((await call('POST', '/v3/domains', { token: admin, body: { domain: { name: 'a'.repeat(65) } } })).status, 400);
      const nova = (await call('GET', '/v3/services?type=compute', { token: admin })).body.services[0];
      const e = await call('POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: nova.id, interface: 'public', url: 'http://x', region: 'legacy-region' } } });
      assert.equal(e.status, 201);
      assert.equal((await call('GET', '/v3/regions/legacy-region', { token: admin })).status, 200);
      assert.equal((await call('POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: nova.id, interface: 'public', url: 'http://x', region_id: 'no-region' } } })).status, 400);
    });
  });

  describe(`${engine.name}: migration 0002`, { skip: engine.skip }, () => {
    test('moves access rules kept inside application credentials into their own table', async () => {
      const made = await engine.create();
      const database = createDatabase<IdentityDatabase>(made.url);
      try {
        await migrateToLatest(database.db, { service: 'identity', migrations: { '0001-initial': initial } });
        const rules = [{ id: 'r1', service: 'compute', method: 'GET', path: '/v2.1/servers' }];
        for (const id of ['ac1', 'ac2']) {
          await database.db
            .insertInto('app_credentials')
            .values({ id, name: id, user_id: 'u1', project_id: 'p1', secret_hash: 'x', description: '', expires_at: null, unrestricted: false, roles: '[]', access_rules: JSON.stringify(rules), created_at: new Date().toISOString() })
            .execute();
        }
        await migrateToLatest(database.db, identityMigrations);
        const moved = await database.db.selectFrom('access_rules').selectAll().execute();
        assert.deepEqual(moved.map((r) => [r.id, r.user_id]), [['r1', 'u1']]);
        const links = await database.db.selectFrom('app_cred_access_rules').selectAll().orderBy('app_cred_id').execute();
        assert.deepEqual(links.map((l) => [l.app_cred_id, l.access_rule_id]), [['ac1', 'r1'], ['ac2', 'r1']]);
      } finally {
        await database.close();
        await made.drop();
      }
    });
  });
}
