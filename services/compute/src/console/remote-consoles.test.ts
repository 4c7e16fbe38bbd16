import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { silentLogger } from '@strata/log';
import { startTestCloud, type TestCloud } from '@strata/testing';
import { ComputeService } from '../compute-service.js';
import { InMemoryHypervisor } from '../agent/in-memory-hypervisor.js';
import type { VncAddress } from '../agent/hypervisor.js';
import type { QuotaLimits } from '../objects/quota.js';
import { ConsoleTokenStore } from './console-tokens.js';

const quotas: QuotaLimits = { instances: 10, cores: 20, ram: 51200, key_pairs: 100, metadata_items: 128, server_groups: 10, server_group_members: 10, injected_files: 5, injected_file_content_bytes: 10240, injected_file_path_bytes: 255, fixed_ips: -1, floating_ips: 10, security_groups: 10, security_group_rules: 20 };

/** A hypervisor whose guests have a VNC server: one fake RFB server on loopback. */
class VncHypervisor extends InMemoryHypervisor {
  constructor(readonly vnc: () => VncAddress) {
    super({ vcpus: 8, memoryMb: 8192, localGb: 100 });
  }
  async vncConsole(_id: string): Promise<VncAddress> {
    return this.vnc();
  }
}

/** Sends the RFB greeting, then echoes what it gets with a prefix. */
function fakeVncServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.write('RFB 003.008\n');
    s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, sockets })));
}

function messages(ws: WebSocket, n: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  return new Promise((resolve, reject) => {
    ws.on('message', (d: Buffer) => {
      got.push(d);
      if (got.length === n) resolve(got);
    });
    ws.on('error', reject);
    setTimeout(() => reject(new Error(`only ${got.length} of ${n} messages`)), 5000).unref();
  });
}

describe('VNC consoles: remote-consoles, os-getVNCConsole and the noVNC proxy', () => {
  let tc: TestCloud;
  let nova: ComputeService;
  let token: string;
  let dir: string;
  let vnc: Awaited<ReturnType<typeof fakeVncServer>>;
  let proxyPort: number;
  let vncServer: string;
  let fakeServer: string;

  const call = async (method: string, url: string, payload?: unknown, version = '2.37'): Promise<{ status: number; body: any }> => {
    const res = await nova.app.inject({ method: method as 'GET', url: `/v2.1${url}`, headers: { 'x-auth-token': token, 'openstack-api-version': `compute ${version}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: res.statusCode, body: res.body === '' ? undefined : res.json() };
  };
  const boot = async (name: string, host: string): Promise<string> => {
    const c = await call('POST', '/servers', { server: { name, imageRef: '00000000-0000-4000-8000-000000000001', flavorRef: '1', networks: 'none', availability_zone: `nova:${host}` } });
    assert.equal(c.status, 202, JSON.stringify(c.body));
    for (let n = 0; n < 400; n++) {
      const r = await call('GET', `/servers/${c.body.server.id}`);
      if (r.body.server.status === 'ACTIVE') return c.body.server.id as string;
      assert.notEqual(r.body.server.status, 'ERROR', JSON.stringify(r.body.server.fault));
      await sleep(10);
    }
    throw new Error('timeout');
  };
  const tokenOf = (url: string): string => {
    const u = new URL(url);
    assert.equal(u.pathname, '/vnc_auto.html');
    const m = /^\?token=([A-Za-z0-9_-]+)$/.exec(u.searchParams.get('path') ?? '');
    assert.ok(m !== null, url);
    return m[1] as string;
  };

  before(async () => {
    vnc = await fakeVncServer();
    tc = await startTestCloud();
    token = await tc.adminToken();
    dir = mkdtempSync(join(tmpdir(), 'strata-vnc-'));
    nova = await ComputeService.create({
      databaseUrl: `sqlite://${join(dir, 'compute.sqlite')}`,
      authUrl: tc.authUrl,
      transportUrl: `memory://vnc-${process.pid}`,
      logger: silentLogger(),
      settings: { defaultAvailabilityZone: 'nova', cpuAllocationRatio: 16, ramAllocationRatio: 1.5, diskAllocationRatio: 1, reportIntervalMs: 100, serviceDownTimeMs: 5000, maxAttempts: 1, vifPluggingTimeoutMs: 0, quotas, fakeResources: { vcpus: 8, memoryMb: 8192, localGb: 100 } },
      computeHosts: [
        { host: 'qemu-like', hypervisor: new VncHypervisor(() => ({ host: '127.0.0.1', port: vnc.port })) },
        { host: 'fake', hypervisor: new InMemoryHypervisor({ vcpus: 8, memoryMb: 8192, localGb: 100 }) },
      ],
      controllerHost: 'controller',
      stateDir: null,
      catalogOverrides: { image: null, network: null, 'block-storage': null, volumev3: null, volume: null },
    });
    await nova.api.flavors.create({ id: '1', name: 'm1.tiny', memoryMb: 512, vcpus: 1, rootGb: 1, ephemeralGb: 0, swap: 0, rxtxFactor: 1, isPublic: true, description: null });
    proxyPort = await nova.listenConsoleProxy('127.0.0.1', 0);
    nova.consoles.setProxyBaseUrl(`http://127.0.0.1:${proxyPort}`);
    vncServer = await boot('vnc-vm', 'qemu-like');
    fakeServer = await boot('fake-vm', 'fake');
  });
  after(async () => {
    await nova?.close();
    await tc?.close();
    for (const s of vnc?.sockets ?? []) s.destroy();
    vnc?.server.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('remote-consoles (2.6+) gives a noVNC URL whose token opens a websocket relayed to the VNC server', async () => {
    const r = await call('POST', `/servers/${vncServer}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.remote_console.protocol, 'vnc');
    assert.equal(r.body.remote_console.type, 'novnc');
    assert.match(r.body.remote_console.url, new RegExp(`^http://127\\.0\\.0\\.1:${proxyPort}/vnc_auto\\.html\\?path=%3Ftoken%3D`));
    const t = tokenOf(r.body.remote_console.url);

    for (const path of [`/websockify?token=${t}`, `/?token=${t}`]) {
      const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}${path}`, ['binary']);
      const got = messages(ws, 2);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      assert.equal(ws.protocol, 'binary');
      ws.send(Buffer.from([1, 2, 3]));
      const [greeting, echo] = await got;
      assert.equal(greeting?.toString(), 'RFB 003.008\n');
      assert.deepEqual([...(echo ?? [])], [...Buffer.from('echo:'), 1, 2, 3]);
      ws.close();
      await new Promise((resolve) => ws.once('close', resolve));
    }
    for (let n = 0; n < 50 && vnc.sockets.size > 0; n++) await sleep(20);
    assert.equal(vnc.sockets.size, 0, 'closing the websocket closes the VNC connection');
  });

  test('the proxy refuses missing, forged and unknown tokens', async () => {
    for (const path of ['/websockify', `/websockify?token=${'A'.repeat(43)}`, '/websockify?token=not-a-token', '/elsewhere?token=x']) {
      const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}${path}`);
      const status = await new Promise<number>((resolve) => {
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(-1));
      });
      assert.equal(status, 401, path);
    }
  });

  test('os-getVNCConsole (2.1–2.5) and the errors nova gives', async () => {
    const legacy = await call('POST', `/servers/${vncServer}/action`, { 'os-getVNCConsole': { type: 'novnc' } }, '2.1');
    assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
    assert.equal(legacy.body.console.type, 'novnc');
    tokenOf(legacy.body.console.url);
    assert.equal((await call('POST', `/servers/${vncServer}/action`, { 'os-getVNCConsole': { type: 'novnc' } }, '2.6')).status, 404);
    assert.equal((await call('POST', `/servers/${vncServer}/action`, { 'os-getVNCConsole': { type: 'spice-html5' } }, '2.1')).status, 400);
    assert.equal((await call('POST', `/servers/${vncServer}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.5')).status, 404);
    assert.equal((await call('POST', `/servers/${vncServer}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'bogus' } }, '2.6')).status, 400);
    const spice = await call('POST', `/servers/${vncServer}/remote-consoles`, { remote_console: { protocol: 'spice', type: 'spice-html5' } }, '2.6');
    assert.equal(spice.status, 400);
    assert.match(JSON.stringify(spice.body), /Unavailable console type spice/);
    const fake = await call('POST', `/servers/${fakeServer}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6');
    assert.equal(fake.status, 400, 'a driver without consoles: ConsoleTypeUnavailable');
    assert.match(JSON.stringify(fake.body), /Unavailable console type vnc/);
    await call('POST', `/servers/${vncServer}/action`, { 'os-stop': null });
    for (let n = 0; n < 200 && (await call('GET', `/servers/${vncServer}`)).body.server.status !== 'SHUTOFF'; n++) await sleep(10);
    assert.equal((await call('POST', `/servers/${vncServer}/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6')).status, 409, 'not running: 409');
    assert.equal((await call('POST', `/servers/00000000-0000-4000-8000-00000000dead/remote-consoles`, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6')).status, 404);
  });

  test('tokens expire', () => {
    let now = 1000;
    const store = new ConsoleTokenStore(60_000, () => now);
    const t = store.issue({ instanceId: 'i', host: '127.0.0.1', port: 5900 });
    assert.equal(store.check(t)?.port, 5900);
    now += 60_001;
    assert.equal(store.check(t), undefined);
    assert.equal(store.check(undefined), undefined);
  });
});
