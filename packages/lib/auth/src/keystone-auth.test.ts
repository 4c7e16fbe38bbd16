import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { createApp } from '@strata/http';
import { silentLogger } from '@strata/log';
import { Tracer } from '@strata/trace';
import { requestJson } from '@strata/clients';
import { startTestCloud, type TestCloud } from '@strata/testing';
import { registerKeystoneAuth, contextOf } from './keystone-auth.js';
import { rules, type Policy } from './policy.js';
import { TokenValidator } from './token-validator.js';

const policy: Policy = { 'test:things:list': rules.adminOrReader, 'test:things:admin': rules.admin, 'test:things:owner': rules.adminOrOwner };

describe('keystone auth plugin against a real keystone', () => {
  let tc: TestCloud;
  let app: FastifyInstance;
  let validator: TokenValidator;
  const tracer = new Tracer();
  let memberToken: string;
  let memberProject: string;

  before(async () => {
    tc = await startTestCloud();
    validator = new TokenValidator({ authUrl: tc.authUrl, cacheTtlMs: 300 });
    app = createApp({ service: 'test', dialect: 'compute', logger: silentLogger() });
    registerKeystoneAuth(app, { validator, policy, authUrl: tc.authUrl, isPublic: (r) => r.url === '/', trace: { tracer, component: 'nova-api', askStep: 4, answerStep: 5 }, requireEnforcement: true });
    app.get('/', async () => ({ versions: [] }));
    app.get('/things', async (request) => {
      const ctx = contextOf(request);
      ctx.authorize('test:things:list');
      return { user: ctx.userName, project: ctx.projectId, roles: ctx.roles };
    });
    app.get('/admin', async (request) => {
      contextOf(request).authorize('test:things:admin');
      return {};
    });
    app.get('/owned/:project', async (request) => {
      contextOf(request).authorize('test:things:owner', { projectId: (request.params as { project: string }).project });
      return {};
    });
    app.get('/unenforced', async () => ({}));

    // A member of a new project, made through keystone's API.
    const admin = await tc.adminToken();
    const h = { 'x-auth-token': admin };
    const p = await requestJson<{ project: { id: string } }>(`${tc.authUrl}/projects`, { method: 'POST', headers: h, body: { project: { name: 'authtest' } } });
    memberProject = p.body.project.id;
    const u = await requestJson<{ user: { id: string } }>(`${tc.authUrl}/users`, { method: 'POST', headers: h, body: { user: { name: 'authtest-user', password: 'pw-authtest' } } });
    const roles = await requestJson<{ roles: Array<{ id: string; name: string }> }>(`${tc.authUrl}/roles?name=member`, { headers: h });
    await requestJson(`${tc.authUrl}/projects/${memberProject}/users/${u.body.user.id}/roles/${roles.body.roles[0]?.id}`, { method: 'PUT', headers: h });
    memberToken = (await tc.identity.authenticate({ username: 'authtest-user', password: 'pw-authtest', projectName: 'authtest' })).id;
  });
  after(async () => {
    await app.close();
    await tc.close();
  });

  test('no token or a garbage token is a 401 with WWW-Authenticate; public routes need none', async () => {
    const none = await app.inject({ method: 'GET', url: '/things' });
    assert.equal(none.statusCode, 401);
    assert.deepEqual(none.json(), { unauthorized: { code: 401, message: 'The request you have made requires authentication.' } });
    assert.match(String(none.headers['www-authenticate']), /Keystone uri=/);
    const garbage = await app.inject({ method: 'GET', url: '/things', headers: { 'x-auth-token': 'garbage' } });
    assert.equal(garbage.statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200);
  });

  test('a valid token yields the context, and validation is recorded as flow steps 4 and 5', async () => {
    const res = await app.inject({ method: 'GET', url: '/things', headers: { 'x-auth-token': memberToken } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().user, 'authtest-user');
    assert.equal(res.json().project, memberProject);
    assert.ok(res.json().roles.includes('member') && res.json().roles.includes('reader'));
    const events = tracer.read(String(res.headers['x-openstack-request-id']));
    assert.deepEqual(events.map((e) => e.step), [4, 5]);
  });

  test('policy: 403 for a member on an admin rule and on another project; admin passes', async () => {
    const forbidden = await app.inject({ method: 'GET', url: '/admin', headers: { 'x-auth-token': memberToken } });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json().forbidden.message, "Policy doesn't allow test:things:admin to be performed.");
    assert.equal((await app.inject({ method: 'GET', url: '/owned/other', headers: { 'x-auth-token': memberToken } })).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: `/owned/${memberProject}`, headers: { 'x-auth-token': memberToken } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/admin', headers: { 'x-auth-token': await tc.adminToken() } })).statusCode, 200);
  });

  test('a route that runs no policy check fails in test builds', async () => {
    const res = await app.inject({ method: 'GET', url: '/unenforced', headers: { 'x-auth-token': memberToken } });
    assert.equal(res.statusCode, 500);
  });

  test('validations are cached; a revoked token stops working once the cache TTL passes', async () => {
    const token = (await tc.identity.authenticate({ username: 'authtest-user', password: 'pw-authtest', projectName: 'authtest' })).id;
    const before = validator.keystoneCalls;
    await Promise.all(Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/things', headers: { 'x-auth-token': token } })));
    assert.equal(validator.keystoneCalls - before, 1);
    await tc.identity.revokeToken(await tc.adminToken(), token);
    assert.equal((await app.inject({ method: 'GET', url: '/things', headers: { 'x-auth-token': token } })).statusCode, 200, 'still cached');
    await sleep(350);
    assert.equal((await app.inject({ method: 'GET', url: '/things', headers: { 'x-auth-token': token } })).statusCode, 401);
  });

  test('an unreachable keystone is a 503, not a 401', async () => {
    const dead = new TokenValidator({ authUrl: 'http://127.0.0.1:9/v3', timeoutMs: 500 });
    await assert.rejects(dead.validate('x'), (err: { status?: number }) => err.status === 503);
  });
});
