import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHttpStub } from '@strata/testing';
import { ServiceCatalog } from './service-catalog.js';

/** A stand-in keystone serving GET /v3/auth/catalog with the status `script` gives the n-th request (from 1). */
async function startKeystone(script: (call: number) => number): Promise<{ authUrl: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const stub = await startHttpStub((_req, res) => {
    calls += 1;
    const status = script(calls);
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      if (status !== 200) return void res.writeHead(status).end(JSON.stringify({ error: { code: status, title: 'Error', message: `status ${status}` } }));
      res.writeHead(200).end(JSON.stringify({ catalog: [{ type: 'image', endpoints: [{ interface: 'public', url: `http://glance-${calls}:9292/` }] }] }));
    }, 30);
  });
  return { authUrl: `${stub.url}/v3`, calls: () => calls, close: () => stub.close() };
}

describe('ServiceCatalog', () => {
  let ks: Awaited<ReturnType<typeof startKeystone>> | undefined;
  afterEach(async () => {
    await ks?.close();
    ks = undefined;
  });

  test('a burst of lookups with one token sends keystone one request', async () => {
    ks = await startKeystone(() => 200);
    const catalog = new ServiceCatalog(ks.authUrl);
    const urls = await Promise.all(Array.from({ length: 300 }, () => catalog.endpoint('tok', 'image')));
    assert.ok(urls.every((u) => u === 'http://glance-1:9292'));
    assert.equal(ks.calls(), 1);
  });

  test('when keystone is unavailable the last catalog is used; other errors still reach the caller', async () => {
    ks = await startKeystone((n) => (n === 1 ? 200 : n === 2 ? 503 : 401));
    const catalog = new ServiceCatalog(ks.authUrl, { ttlMs: 1 });
    assert.equal(await catalog.endpoint('tok', 'image'), 'http://glance-1:9292');
    await sleep(5);
    assert.equal(await catalog.endpoint('tok', 'image'), 'http://glance-1:9292');
    assert.equal(ks.calls(), 2);
    await assert.rejects(catalog.endpoint('tok', 'image'), (err: { status?: number }) => err.status === 401);
  });
});
