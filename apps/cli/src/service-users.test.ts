import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdentityClient } from '@strata/clients';
import { startHttpStub, startTestCloud, type HttpStub } from '@strata/testing';
import { metadataProxySecret, passwordTokenSource, readServicePasswords, serviceCredentialsPath, writeServicePasswords } from './service-users.js';

describe('passwordTokenSource', () => {
  let stub: HttpStub;
  let authUrl: string;
  let issued = 0;
  let lifetimeMs = 600_000;
  let failNext = false;

  before(async () => {
    stub = await startHttpStub((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const auth = JSON.parse(body) as { auth: { identity: { password: { user: { name: string } } }; scope: { project: { name: string } } } };
        if (failNext) {
          failNext = false;
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'nope' } }));
          return;
        }
        issued++;
        const now = Date.now();
        const token = { methods: ['password'], user: { id: 'u', name: auth.auth.identity.password.user.name, domain: { id: 'default', name: 'Default' } }, project: { id: 'p', name: auth.auth.scope.project.name, domain: { id: 'default', name: 'Default' } }, issued_at: new Date(now).toISOString(), expires_at: new Date(now + lifetimeMs).toISOString(), audit_ids: ['a'] };
        res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': `tok-${issued}` }).end(JSON.stringify({ token }));
      });
    });
    authUrl = `${stub.url}/v3`;
  });
  after(() => stub.close());

  test('one authentication for concurrent and later calls while the token has time left', async () => {
    issued = 0;
    lifetimeMs = 600_000;
    const token = passwordTokenSource(authUrl, { username: 'nova', password: 'pw', projectName: 'service' });
    assert.deepEqual(await Promise.all([token(), token(), token()]), ['tok-1', 'tok-1', 'tok-1']);
    assert.equal(await token(), 'tok-1');
    assert.equal(issued, 1);
    // A caller whose token was refused gets a new one; an older refused token changes nothing.
    assert.equal(await token('tok-1'), 'tok-2');
    assert.equal(await token('tok-1'), 'tok-2');
    assert.equal(await token(), 'tok-2');
    assert.equal(issued, 2);
  });

  test('a new token before the old one expires; a failed authentication is not remembered', async () => {
    issued = 0;
    lifetimeMs = 2000; // renewed after 1600 ms (a fifth of the lifetime before expiry)
    const token = passwordTokenSource(authUrl, { username: 'neutron', password: 'pw', projectName: 'service' });
    assert.equal(await token(), 'tok-1');
    assert.equal(await token(), 'tok-1');
    await sleep(1700);
    assert.equal(await token(), 'tok-2');
    lifetimeMs = 600_000;
    const other = passwordTokenSource(authUrl, { username: 'glance', password: 'pw', projectName: 'service' });
    failNext = true;
    await assert.rejects(other(), (err: { status?: number }) => err.status === 401);
    assert.equal(await other(), 'tok-3');
  });
});

describe('the all-in-one service users', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-service-users-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const serviceLogin = async (authUrl: string, username: string, password: string): Promise<string[]> => {
    const t = await new IdentityClient(authUrl).authenticate({ username, password, projectName: 'service' }, { nocatalog: true });
    return (t.body.roles ?? []).map((r) => r.name).sort();
  };

  test('passwords are generated once, kept in <data-dir>/service-credentials.json (0600), and a configured one wins', async () => {
    let tc = await startTestCloud({ dataDir });
    let first: Record<string, string>;
    try {
      assert.equal(statSync(serviceCredentialsPath(dataDir)).mode & 0o777, 0o600);
      first = readServicePasswords(dataDir);
      assert.deepEqual(Object.keys(first).sort(), ['cinder', 'glance', 'neutron', 'nova']);
      for (const [name, password] of Object.entries(first)) assert.deepEqual(await serviceLogin(tc.authUrl, name, password), ['admin', 'member', 'reader', 'service'], name);
      assert.doesNotMatch(readFileSync(join(dataDir, 'openrc'), 'utf8'), /nova/);
    } finally {
      await tc.close();
    }

    // A restart keeps the passwords; [compute] service_password replaces nova's (and leaves the file).
    tc = await startTestCloud({ dataDir, env: { OS_COMPUTE__SERVICE_PASSWORD: 'nova-from-config' } });
    try {
      const second = readServicePasswords(dataDir);
      assert.deepEqual(second, { neutron: first.neutron, glance: first.glance, cinder: first.cinder });
      assert.deepEqual(await serviceLogin(tc.authUrl, 'nova', 'nova-from-config'), ['admin', 'member', 'reader', 'service']);
      await assert.rejects(serviceLogin(tc.authUrl, 'nova', first.nova as string), (err: { status?: number }) => err.status === 401);
      assert.deepEqual(await serviceLogin(tc.authUrl, 'neutron', first.neutron as string), ['admin', 'member', 'reader', 'service']);
    } finally {
      await tc.close();
    }

    // Without the option again, nova gets a new generated password, kept in the file.
    tc = await startTestCloud({ dataDir });
    try {
      const third = readServicePasswords(dataDir);
      assert.ok(third.nova !== undefined && third.nova !== 'nova-from-config' && third.nova !== first.nova);
      assert.deepEqual(await serviceLogin(tc.authUrl, 'nova', third.nova), ['admin', 'member', 'reader', 'service']);
      assert.equal(third.neutron, first.neutron);
    } finally {
      await tc.close();
    }
  });
});

describe('metadataProxySecret', () => {
  test('generated once on the controller and kept beside the service passwords (0600); a set value wins; a host only reads it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-mdsecret-'));
    try {
      assert.equal(metadataProxySecret('', dir, { generate: false }), undefined, 'nothing kept, nothing made');
      writeServicePasswords(dir, { nova: 'nova-pw' });
      const made = metadataProxySecret('', dir, { generate: true });
      assert.match(made, /^[0-9a-f]{64}$/);
      assert.equal(metadataProxySecret('', dir, { generate: true }), made, 'the next start keeps it');
      assert.equal(metadataProxySecret('', dir, { generate: false }), made, 'a host with the controller data dir reads it');
      assert.deepEqual(JSON.parse(readFileSync(serviceCredentialsPath(dir), 'utf8')), { nova: 'nova-pw', metadata_proxy_shared_secret: made }, 'the passwords stay');
      assert.equal(statSync(serviceCredentialsPath(dir)).mode & 0o777, 0o600);
      assert.deepEqual(readServicePasswords(dir), { nova: 'nova-pw' }, 'the secret is no service password');
      writeServicePasswords(dir, { neutron: 'neutron-pw' });
      assert.equal(metadataProxySecret('', dir, { generate: false }), made, 'rewriting the passwords keeps the secret');
      assert.equal(metadataProxySecret('configured', dir, { generate: true }), 'configured');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
