import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { silentLogger } from '@strata/log';
import { createDashboardServer } from './dashboard-server.js';

describe('dashboard server: static app and same-origin API proxy', () => {
  let upstream: FastifyInstance;
  let dash: FastifyInstance;
  let base: string;
  let dist: string;
  let building = false;
  const seen: Array<{ url: string; token: unknown; body: Buffer; cookie: unknown }> = [];

  before(async () => {
    // One upstream plays keystone (auth + catalog) and nova, on the same origin.
    upstream = Fastify();
    upstream.removeAllContentTypeParsers();
    upstream.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
    let origin = '';
    upstream.get('/v3/auth/catalog', async (req, reply) => {
      if (req.headers['x-auth-token'] !== 'good') return reply.code(401).send({ error: { code: 401, message: 'no' } });
      return { catalog: [{ type: 'compute', endpoints: [{ interface: 'public', url: `${origin}/v2.1` }] }] };
    });
    upstream.all('/*', async (req) => {
      seen.push({ url: req.url, token: req.headers['x-auth-token'], body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), cookie: req.headers.cookie });
      return { ok: true, url: req.url };
    });
    origin = await upstream.listen({ host: '127.0.0.1', port: 0 });
    dist = mkdtempSync(join(tmpdir(), 'dash-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
    dash = await createDashboardServer({ authUrl: `${origin}/v3`, logger: silentLogger(), distDir: dist, building: () => building });
    base = await dash.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await dash?.close();
    await upstream?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  test('serves the app at / and for client-side routes, assets with long caching, and security headers', async () => {
    for (const path of ['/', '/instances/abc', '/admin/hypervisors']) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(await r.text(), /<title>app<\/title>/);
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
      assert.equal(r.headers.get('cache-control'), 'no-cache');
    }
    const a = await fetch(`${base}/assets/app.js`);
    assert.equal(a.status, 200);
    assert.match(a.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${base}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${base}/assets/..%2findex.html`)).status, 404);
  });

  test('while the bundle builds, pages answer 503 with a page that reloads', async () => {
    building = true;
    try {
      const r = await fetch(`${base}/instances`);
      assert.equal(r.status, 503);
      assert.match(await r.text(), /being built/);
    } finally {
      building = false;
    }
  });

  test('proxies identity without a token, and other services by their catalog origin with the caller token', async () => {
    const login = await fetch(`${base}/api/identity/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'a=b' }, body: '{"auth":{}}' });
    assert.equal(login.status, 200);
    assert.deepEqual(seen.at(-1), { url: '/v3/auth/tokens?nocatalog', token: undefined, body: Buffer.from('{"auth":{}}'), cookie: undefined });

    const list = await fetch(`${base}/api/compute/v2.1/servers/detail?limit=20&marker=x`, { headers: { 'x-auth-token': 'good' } });
    assert.equal(list.status, 200);
    assert.equal(seen.at(-1)?.url, '/v2.1/servers/detail?limit=20&marker=x');
    assert.equal(seen.at(-1)?.token, 'good');

    // A binary body (an image upload) passes through untouched.
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    const put = await fetch(`${base}/api/compute/v2.1/upload`, { method: 'PUT', headers: { 'x-auth-token': 'good', 'content-type': 'application/octet-stream' }, body: bytes });
    assert.equal(put.status, 200);
    assert.ok(seen.at(-1)?.body.equals(bytes));
  });

  test('a service type not in the catalog, or a bad token, is a 404 and nothing is fetched', async () => {
    const before = seen.length;
    const r = await fetch(`${base}/api/object-store/v1/x`, { headers: { 'x-auth-token': 'good' } });
    assert.equal(r.status, 404);
    assert.match(await r.text(), /No service of type object-store/);
    assert.equal((await fetch(`${base}/api/Bad_Type/x`)).status, 404);
    assert.equal(seen.length, before);
  });
});

test('the browser app type-checks (its own tsconfig: DOM, JSX)', () => {
  const root = resolve(new URL('../../', import.meta.url).pathname);
  const tsc = resolve(root, '../../node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(root, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
