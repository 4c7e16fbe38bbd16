import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@strata/log';
import { startTestCloud, testDatabases, type TestCloud } from '@strata/testing';
import { IdentityService } from './identity-service.js';
import { bootstrap } from './bootstrap.js';
import { KeyRepository } from './token/key-repository.js';

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

function client(authUrl: string) {
  return async (method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers['x-auth-token'] = opts.token;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${authUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
}

const passwordAuth = (name: string, password: string, scope?: object) => ({
  auth: { identity: { methods: ['password'], password: { user: { name, password, domain: { id: 'default' } } } }, ...(scope !== undefined ? { scope } : {}) },
});

describe('keystone over HTTP', () => {
  let tc: TestCloud;
  let call: ReturnType<typeof client>;
  let admin: string;

  before(async () => {
    tc = await startTestCloud();
    call = client(tc.authUrl.replace(/\/v3$/, ''));
    admin = await tc.adminToken();
  });
  after(async () => tc.close());

  test('discovery: 300 at / with Location, 200 at /v3', async () => {
    const root = await call('GET', '/');
    assert.equal(root.status, 300);
    assert.equal(root.body.versions.values[0].id, 'v3.14');
    assert.equal(root.body.versions.values[0].status, 'stable');
    assert.match(String(root.headers.get('location')), /\/v3\/$/);
    const v3 = await call('GET', '/v3');
    assert.equal(v3.status, 200);
    assert.equal(v3.body.version.links[0].rel, 'self');
  });

  test('token issue: 201, X-Subject-Token, body with roles and catalog; nocatalog omits it; wrong password 401', async () => {
    const res = await call('POST', '/v3/auth/tokens', { body: passwordAuth('admin', tc.admin.password, { project: { name: 'admin', domain: { name: 'Default' } } }) });
    assert.equal(res.status, 201);
    assert.ok(res.headers.get('x-subject-token'));
    const t = res.body.token;
    assert.deepEqual(t.methods, ['password']);
    assert.equal(t.project.name, 'admin');
    assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
    assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(t.catalog.some((s: { type: string }) => s.type === 'identity'));
    assert.equal(t.audit_ids.length, 1);
    const nocat = await call('POST', '/v3/auth/tokens?nocatalog', { body: passwordAuth('admin', tc.admin.password, { project: { name: 'admin', domain: { id: 'default' } } }) });
    assert.equal(nocat.body.token.catalog, undefined);
    const bad = await call('POST', '/v3/auth/tokens', { body: passwordAuth('admin', 'wrong') });
    assert.equal(bad.status, 401);
    assert.deepEqual(Object.keys(bad.body.error), ['code', 'title', 'message']);
    const nouser = await call('POST', '/v3/auth/tokens', { body: passwordAuth('nobody', 'x') });
    assert.equal(nouser.status, 401);
  });

  test('malformed and ill-typed auth bodies are 400 in keystone dialect', async () => {
    const malformed = await call('POST', '/v3/auth/tokens', { raw: '{"auth": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.title, 'Bad Request');
    const typed = await call('POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: 'password' } } } });
    assert.equal(typed.status, 400);
    const missing = await call('POST', '/v3/auth/tokens', { body: { auth: {} } });
    assert.equal(missing.status, 400);
  });

  test('validate, check (HEAD) and revoke; garbage tokens are 401/404', async () => {
    const t = (await call('POST', '/v3/auth/tokens', { body: passwordAuth('admin', tc.admin.password, { project: { name: 'admin', domain: { id: 'default' } } }) })).headers.get('x-subject-token') as string;
    const v = await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t } });
    assert.equal(v.status, 200);
    assert.equal(v.body.token.user.name, 'admin');
    assert.equal(v.body.token['strata:authentication'], undefined, 'plain validation answers as keystone does');
    // Strata validators ask for when and how long authentication ran (FLOW.md steps 1–2 of their traces).
    const timed = await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t, 'x-strata-auth-timing': '1' } });
    const auth = timed.body.token['strata:authentication'];
    assert.equal(typeof auth.duration_ms, 'number');
    assert.ok(auth.duration_ms >= 0);
    assert.equal(Date.parse(auth.started_at) + auth.duration_ms, Date.parse(timed.body.token.issued_at), 'authentication ended when the token was issued');
    assert.equal((await call('HEAD', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t } })).status, 200);
    assert.equal((await call('DELETE', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t } })).status, 204);
    assert.equal((await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t } })).status, 404);
    assert.equal((await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': 'garbage' } })).status, 404);
    assert.equal((await call('GET', '/v3/projects', { token: 'garbage' })).status, 401);
    assert.equal((await call('GET', '/v3/projects', { token: t })).status, 401, 'a revoked token authenticates nothing');
    assert.equal((await call('GET', '/v3/projects')).status, 401);
  });

  test('projects and users: create, 409 on duplicate name in a domain, 404 unknown, nothing written on bad input', async () => {
    const p = await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-dup', description: 'one' } } });
    assert.equal(p.status, 201);
    assert.equal(p.body.project.domain_id, 'default');
    assert.equal(p.body.project.parent_id, 'default');
    const dup = await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-dup' } } });
    assert.equal(dup.status, 409);
    const badType = await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-bad', enabled: 'yes' } } });
    assert.equal(badType.status, 400);
    const badDomain = await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-bad', domain_id: 'nope' } } });
    assert.equal(badDomain.status, 404);
    const listed = await call('GET', '/v3/projects?name=p-bad', { token: admin });
    assert.deepEqual(listed.body.projects, []);
    assert.equal((await call('GET', '/v3/projects/does-not-exist', { token: admin })).status, 404);
    const u = await call('POST', '/v3/users', { token: admin, body: { user: { name: 'u-dup', password: 'pw', email: 'u@example.com' } } });
    assert.equal(u.status, 201);
    assert.equal(u.body.user.email, 'u@example.com');
    assert.equal(u.body.user.password, undefined);
    assert.equal((await call('POST', '/v3/users', { token: admin, body: { user: { name: 'u-dup' } } })).status, 409);
    assert.equal((await call('POST', '/v3/users', { token: admin, body: { user: { name: 'u-x', domain_id: 'nope' } } })).status, 404);
  });

  test('a member sees only its own project, gets 403 on admin APIs, and role changes apply at once', async () => {
    const p = (await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-member' } } })).body.project;
    const other = (await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-other' } } })).body.project;
    const u = (await call('POST', '/v3/users', { token: admin, body: { user: { name: 'u-member', password: 'pw-m' } } })).body.user;
    const member = (await call('GET', '/v3/roles?name=member', { token: admin })).body.roles[0];
    assert.equal((await call('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${member.id}`, { token: admin })).status, 204);
    const issued = await call('POST', '/v3/auth/tokens', { body: passwordAuth('u-member', 'pw-m', { project: { id: p.id } }) });
    assert.equal(issued.status, 201);
    const mt = issued.headers.get('x-subject-token') as string;
    assert.deepEqual(issued.body.token.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
    assert.equal((await call('GET', `/v3/projects/${p.id}`, { token: mt })).status, 200);
    assert.equal((await call('GET', `/v3/projects/${other.id}`, { token: mt })).status, 403);
    assert.equal((await call('GET', '/v3/users', { token: mt })).status, 403);
    assert.equal((await call('POST', '/v3/projects', { token: mt, body: { project: { name: 'nope' } } })).status, 403);
    const mine = await call('GET', `/v3/users/${u.id}/projects`, { token: mt });
    assert.deepEqual(mine.body.projects.map((x: { id: string }) => x.id), [p.id]);
    assert.equal((await call('POST', '/v3/auth/tokens', { body: passwordAuth('u-member', 'pw-m', { project: { id: other.id } }) })).status, 401, 'no role on the other project');
    assert.equal((await call('DELETE', `/v3/projects/${p.id}/users/${u.id}/roles/${member.id}`, { token: admin })).status, 204);
    assert.equal((await call('GET', `/v3/projects/${p.id}`, { token: mt })).status, 401, 'token without roles on its project is invalid');
  });

  test('disabling a user, changing its password or disabling its project invalidates its tokens', async () => {
    const p = (await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-disable' } } })).body.project;
    const u = (await call('POST', '/v3/users', { token: admin, body: { user: { name: 'u-disable', password: 'pw-1', default_project_id: p.id } } })).body.user;
    const member = (await call('GET', '/v3/roles?name=member', { token: admin })).body.roles[0];
    await call('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${member.id}`, { token: admin });
    const tokenOf = async (pw: string) => (await call('POST', '/v3/auth/tokens', { body: passwordAuth('u-disable', pw) })).headers.get('x-subject-token') as string;
    const t1 = await tokenOf('pw-1');
    const v = await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t1 } });
    assert.equal(v.body.token.project.id, p.id, 'default project scopes an unscoped request');
    assert.equal((await call('POST', `/v3/users/${u.id}/password`, { body: { user: { original_password: 'wrong', password: 'pw-2' } } })).status, 401);
    assert.equal((await call('POST', `/v3/users/${u.id}/password`, { body: { user: { original_password: 'pw-1', password: 'pw-2' } } })).status, 204);
    assert.equal((await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t1 } })).status, 404);
    await new Promise((r) => setTimeout(r, 5));
    const t2 = await tokenOf('pw-2');
    assert.equal((await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t2 } })).status, 200);
    assert.equal((await call('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { enabled: false } } })).status, 200);
    assert.equal((await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t2 } })).status, 404);
    await call('PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { enabled: true } } });
    await new Promise((r) => setTimeout(r, 5));
    const t3 = await tokenOf('pw-2');
    assert.equal((await call('PATCH', `/v3/users/${u.id}`, { token: admin, body: { user: { enabled: false } } })).status, 200);
    assert.equal((await call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': t3 } })).status, 404);
    assert.equal((await call('POST', '/v3/auth/tokens', { body: passwordAuth('u-disable', 'pw-2') })).status, 401);
  });

  test('domains: another domain\'s names are separate; an enabled domain cannot be deleted', async () => {
    const d = (await call('POST', '/v3/domains', { token: admin, body: { domain: { name: 'd-other' } } })).body.domain;
    assert.equal((await call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p-dup', domain_id: d.id } } })).status, 201);
    assert.equal((await call('POST', '/v3/domains', { token: admin, body: { domain: { name: 'd-other' } } })).status, 409);
    assert.equal((await call('DELETE', `/v3/domains/${d.id}`, { token: admin })).status, 403);
    assert.equal((await call('PATCH', `/v3/domains/${d.id}`, { token: admin, body: { domain: { enabled: false } } })).status, 200);
    assert.equal((await call('DELETE', `/v3/domains/${d.id}`, { token: admin })).status, 204);
    assert.deepEqual((await call('GET', `/v3/projects?domain_id=${d.id}`, { token: admin })).body.projects, []);
  });

  test('rescoping with a token keeps the audit chain; application credentials authenticate with their roles', async () => {
    const unscoped = await call('POST', '/v3/auth/tokens', { body: passwordAuth('admin', tc.admin.password, undefined) });
    const ut = unscoped.headers.get('x-subject-token') as string;
    const scoped = await call('POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: ut } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } } });
    assert.equal(scoped.status, 201);
    assert.equal(scoped.body.token.audit_ids[1], unscoped.body.token.audit_ids[0]);
    const st = scoped.headers.get('x-subject-token') as string;
    const me = scoped.body.token.user.id;
    const ac = await call('POST', `/v3/users/${me}/application_credentials`, { token: st, body: { application_credential: { name: 'ac1', roles: [{ name: 'reader' }] } } });
    assert.equal(ac.status, 201);
    assert.ok(ac.body.application_credential.secret);
    const byAc = await call('POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.body.application_credential.id, secret: ac.body.application_credential.secret } } } } });
    assert.equal(byAc.status, 201);
    assert.deepEqual(byAc.body.token.roles.map((r: { name: string }) => r.name), ['reader']);
    assert.equal(byAc.body.token.application_credential.restricted, true);
    const wrong = await call('POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.body.application_credential.id, secret: 'nope' } } } } });
    assert.equal(wrong.status, 401);
    assert.equal((await call('GET', `/v3/users/${me}/application_credentials`, { token: st })).body.application_credentials[0].secret, undefined);
  });

  test('role assignments list effective grants with names', async () => {
    const r = await call('GET', '/v3/role_assignments?effective&include_names&user.id=' + (await call('GET', '/v3/users?name=admin', { token: admin })).body.users[0].id, { token: admin });
    assert.equal(r.status, 200);
    const names = r.body.role_assignments.filter((a: any) => a.scope.project !== undefined).map((a: any) => a.role.name).sort();
    assert.deepEqual(names, ['admin', 'member', 'reader']);
    assert.equal(r.body.role_assignments.find((a: any) => a.scope.project)?.scope.project.name, 'admin');
  });
});

describe('token keys and restarts', () => {
  test('a rotated key keeps old tokens valid; revocations survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-keys-'));
    let tc = await startTestCloud({ dataDir });
    const call = client(tc.authUrl.replace(/\/v3$/, ''));
    const admin = await tc.adminToken();
    const keep = await tc.adminToken();
    const revoked = await tc.adminToken();
    await call('DELETE', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': revoked } });
    await tc.close();
    new KeyRepository(join(dataDir, 'keys', 'token')).rotate();
    tc = await startTestCloud({ dataDir });
    const call2 = client(tc.authUrl.replace(/\/v3$/, ''));
    const fresh = await tc.adminToken();
    assert.notEqual(fresh.split('.')[0], keep.split('.')[0], 'new tokens are signed with the new primary key');
    assert.equal((await call2('GET', '/v3/auth/tokens', { token: fresh, headers: { 'x-subject-token': keep } })).status, 200);
    assert.equal((await call2('GET', '/v3/auth/tokens', { token: fresh, headers: { 'x-subject-token': revoked } })).status, 404);
    // Rotating past max_active_keys retires the key that signed `keep`.
    await tc.close();
    new KeyRepository(join(dataDir, 'keys', 'token'), 3).rotate();
    new KeyRepository(join(dataDir, 'keys', 'token'), 3).rotate();
    tc = await startTestCloud({ dataDir });
    const call3 = client(tc.authUrl.replace(/\/v3$/, ''));
    const newest = await tc.adminToken();
    assert.equal((await call3('GET', '/v3/auth/tokens', { token: newest, headers: { 'x-subject-token': keep } })).status, 404);
    await tc.close();
  });
});

for (const engine of await testDatabases()) {
  describe(`${engine.name}: keystone schema`, { skip: engine.skip }, () => {
    test('migrates, bootstraps idempotently, issues and validates tokens, rejects duplicates', async () => {
      const made = await engine.create();
      const keyDir = mkdtempSync(join(tmpdir(), 'strata-keys-'));
      const svc = await IdentityService.create({ databaseUrl: made.url, keyDir, logger: silentLogger(), passwordHashRounds: 4 });
      try {
        const opts = { adminUser: 'admin', adminProject: 'admin', adminPassword: 'pw', region: 'RegionOne', services: [{ type: 'identity', name: 'keystone', description: 'Identity', urls: { public: 'http://x/v3', internal: 'http://x/v3', admin: 'http://x/v3' } }] };
        const first = await bootstrap(svc.api, opts);
        assert.ok(first.created.length > 5);
        const second = await bootstrap(svc.api, opts);
        assert.deepEqual(second.created, []);
        const token = await svc.api.authenticate({ methods: ['password'], password: { user: { name: 'admin', password: 'pw', domain: { id: 'default' } } } }, { project: { name: 'admin', domain: { id: 'default' } } });
        const v = await svc.api.validate(token.id);
        assert.deepEqual(v.roles.map((r) => r.name).sort(), ['admin', 'member', 'reader']);
        assert.equal((await svc.api.catalogFor(v.project?.id)).length, 1);
        await assert.rejects(svc.api.createProject({ name: 'admin' }), (err: { status?: number }) => err.status === 409);
        await svc.api.revokeToken(token.id);
        await assert.rejects(svc.api.validate(token.id), (err: { status?: number }) => err.status === 404);
      } finally {
        await svc.close();
        await made.drop();
      }
    });
  });
}
