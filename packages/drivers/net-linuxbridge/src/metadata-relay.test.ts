// The host-side metadata relay between the namespace proxies and nova: it names the guest to nova by
// a signed X-Instance-ID (neutron's metadata agent), never by the network or router id it was given.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@strata/log';
import { startHttpStub, type HttpStub } from '@strata/testing';
import { MetadataRelay, type MetadataResolver } from './metadata-relay.js';

const SECRET = 'relay-test-secret';
const NET = '0f6a2d1e-1111-4c1e-9a2f-0b1c2d3e4f50';
const ROUTER = '7b2c3d4e-2222-4c1e-9a2f-0b1c2d3e4f51';
const VM = 'c3a1b2d4-3333-4c1e-9a2f-0b1c2d3e4f52';
const PROJECT = 'proj-1';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request through the relay's unix socket. */
function through(socketPath: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('MetadataRelay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-md-relay-'));
  const seen: Seen[] = [];
  const lookups: Array<Parameters<MetadataResolver>[0]> = [];
  let nova: HttpStub;
  let signed: MetadataRelay;
  let plain: MetadataRelay;
  let failing: MetadataRelay;
  const resolve: MetadataResolver = async (q) => {
    lookups.push(q);
    const onNet = q.networkId === NET || q.routerId === ROUTER;
    return onNet && q.ip === '10.0.0.5' ? { instanceId: VM, tenantId: PROJECT } : null;
  };

  before(async () => {
    nova = await startHttpStub((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('from nova');
      });
    });
    signed = new MetadataRelay(join(dir, 'signed.sock'), nova.url, silentLogger(), { resolve, secret: SECRET });
    plain = new MetadataRelay(join(dir, 'plain.sock'), nova.url, silentLogger());
    failing = new MetadataRelay(join(dir, 'failing.sock'), nova.url, silentLogger(), { resolve: () => Promise.reject(new Error('bus down')), secret: SECRET });
    for (const r of [signed, plain, failing]) await r.start();
  });
  after(async () => {
    for (const r of [signed, plain, failing]) await r?.close();
    await nova?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a guest on a network: nova gets X-Instance-ID, X-Tenant-ID and their HMAC, not the network id nor spoofed ids', async () => {
    seen.length = 0;
    lookups.length = 0;
    const r = await through(signed.socketPath, '/openstack/latest/meta_data.json', {
      'x-forwarded-for': '10.0.0.5',
      'x-neutron-network-id': NET,
      'x-instance-id': 'spoofed',
      'x-instance-id-signature': 'spoofed',
      'x-tenant-id': 'spoofed',
    });
    assert.deepEqual(r, { status: 200, text: 'from nova' });
    assert.deepEqual(lookups, [{ networkId: NET, ip: '10.0.0.5' }]);
    const h = seen[0]?.headers;
    assert.ok(h !== undefined, 'nova was called');
    assert.equal(seen[0]?.url, '/openstack/latest/meta_data.json');
    assert.equal(h['x-instance-id'], VM);
    assert.equal(h['x-tenant-id'], PROJECT);
    assert.equal(h['x-instance-id-signature'], createHmac('sha256', SECRET).update(VM).digest('hex'));
    assert.equal(h['x-forwarded-for'], '10.0.0.5');
    assert.equal(h['x-neutron-network-id'], undefined);
    assert.equal(h['x-neutron-router-id'], undefined);
    assert.equal(h.host, new URL(nova.url).host);
  });

  test('a guest behind a router is looked up by the router id, which nova does not see; a posted body goes through', async () => {
    seen.length = 0;
    lookups.length = 0;
    const r = await through(signed.socketPath, '/openstack/latest/password', { 'x-forwarded-for': '10.0.0.5', 'x-neutron-router-id': ROUTER, 'content-type': 'text/plain' }, 'secret-pw');
    assert.equal(r.status, 200);
    assert.deepEqual(lookups, [{ routerId: ROUTER, ip: '10.0.0.5' }]);
    assert.equal(seen[0]?.method, 'POST');
    assert.equal(seen[0]?.body, 'secret-pw');
    assert.equal(seen[0]?.headers['x-instance-id'], VM);
    assert.equal(seen[0]?.headers['x-neutron-router-id'], undefined);
  });

  test('404 from the relay, nova not asked, when no server has the address or the request names no network', async () => {
    seen.length = 0;
    lookups.length = 0;
    assert.equal((await through(signed.socketPath, '/openstack', { 'x-forwarded-for': '10.0.0.99', 'x-neutron-network-id': NET })).status, 404);
    assert.equal((await through(signed.socketPath, '/openstack', { 'x-forwarded-for': '10.0.0.5' })).status, 404, 'no network or router id');
    assert.equal((await through(signed.socketPath, '/openstack', { 'x-forwarded-for': 'not-an-ip', 'x-neutron-network-id': NET })).status, 404);
    assert.equal((await through(signed.socketPath, '/openstack', { 'x-forwarded-for': '10.0.0.5', 'x-neutron-network-id': 'x; y' })).status, 404);
    assert.equal((await through(signed.socketPath, '/openstack', { 'x-forwarded-for': '10.0.0.5, 10.0.0.6', 'x-neutron-network-id': NET })).status, 404, 'a forwarded chain is not a guest address');
    assert.deepEqual(lookups, [{ networkId: NET, ip: '10.0.0.99' }], 'only the well-formed request was looked up');
    assert.equal(seen.length, 0);
  });

  test('a failed lookup answers 500 without reaching nova', async () => {
    seen.length = 0;
    const r = await through(failing.socketPath, '/openstack', { 'x-forwarded-for': '10.0.0.5', 'x-neutron-network-id': NET });
    assert.equal(r.status, 500);
    assert.equal(seen.length, 0);
  });

  test('without signing the request goes on as it came (a nova without a shared secret)', async () => {
    seen.length = 0;
    const r = await through(plain.socketPath, '/openstack', { 'x-forwarded-for': '10.0.0.5', 'x-neutron-network-id': NET });
    assert.equal(r.status, 200);
    assert.equal(seen[0]?.headers['x-neutron-network-id'], NET);
    assert.equal(seen[0]?.headers['x-instance-id'], undefined);
  });

  test('an empty secret is refused', () => {
    assert.throws(() => new MetadataRelay(join(dir, 'x.sock'), nova.url, silentLogger(), { resolve, secret: '' }), /shared secret is empty/);
  });
});
