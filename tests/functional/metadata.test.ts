import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { freePort, hasOpenstackCli, servicesRequired, startStrataProcess, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);
const skip = hasOpenstackCli() ? undefined : servicesRequired() ? undefined : 'the openstack CLI is not installed';
const SECRET = 'metadata-test-secret';

/** The metadata API (nova-api-metadata) of `strata up`, as a guest reaches it through neutron's proxy. */
describe('metadata API of `strata up`', { skip }, () => {
  let strata: StrataProcess;
  let env: NodeJS.ProcessEnv;
  let md: string;
  let vm: { id: string; ip: string; mac: string; networkId: string; projectId: string };
  let plainId: string;
  let publicKey: string;
  let vncPort: number;
  const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 120_000 })).stdout;
  const json = async <T = any>(...args: string[]): Promise<T> => JSON.parse(await osc(...args, '-f', 'json')) as T;
  const signed = (id: string): Record<string, string> => ({ 'x-instance-id': id, 'x-instance-id-signature': createHmac('sha256', SECRET).update(id).digest('hex') });
  const get = async (path: string, headers: Record<string, string> = signed(vm.id), init: RequestInit = {}): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${md}${path}`, { ...init, headers });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    if (!hasOpenstackCli()) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    const port = await freePort();
    vncPort = await freePort();
    strata = await startStrataProcess({ env: { OS_COMPUTE__METADATA_PORT: String(port), OS_COMPUTE__NOVNCPROXY_PORT: String(vncPort), OS_COMPUTE__METADATA_PROXY_SHARED_SECRET: SECRET } });
    env = strata.adminEnv;
    md = `http://127.0.0.1:${port}`;
    const file = join(strata.dataDir, 'md-tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    const image = (await json<{ id: string }>('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', 'md-img')).id;
    publicKey = (await json<{ public_key?: string }>('keypair', 'create', '--private-key', join(strata.dataDir, 'md-key'), 'md-key')).public_key ?? '';
    if (publicKey === '') publicKey = (await json<{ public_key: string }>('keypair', 'show', '--public-key', 'md-key').catch(async () => ({ public_key: (await osc('keypair', 'show', '--public-key', 'md-key')).trim() }))).public_key;
    const userData = join(strata.dataDir, 'user-data.sh');
    writeFileSync(userData, '#!/bin/sh\necho hello from user data\n');
    const s = await json<{ id: string; project_id: string }>('server', 'create', '--image', image, '--flavor', 'm1.tiny', '--network', 'private', '--key-name', 'md-key', '--user-data', userData, '--property', 'role=web', '--wait', 'md-vm');
    const ports = await json<Array<{ ID: string; 'MAC Address': string; 'Fixed IP Addresses': Array<{ ip_address: string }> | string }>>('port', 'list', '--server', s.id);
    const p = ports[0];
    assert.ok(p !== undefined, 'the server has a port');
    const portShow = await json<{ network_id: string; fixed_ips: Array<{ ip_address: string }>; mac_address: string }>('port', 'show', p.ID);
    vm = { id: s.id, ip: portShow.fixed_ips[0]?.ip_address ?? '', mac: portShow.mac_address, networkId: portShow.network_id, projectId: s.project_id };
    plainId = (await json<{ id: string }>('server', 'create', '--image', image, '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'md-plain')).id;
  });
  after(async () => {
    const code = await strata?.stop();
    assert.equal(code, 0, 'strata up stops cleanly on SIGTERM (metadata API and noVNC proxy included)');
  });

  test('requests that identify no instance, or sign wrongly, are refused as nova refuses them', async () => {
    assert.equal((await get('/', {})).status, 200, 'the version list needs no instance');
    // With a shared secret only signed requests count (nova's service_metadata_proxy): no X-Instance-ID is a 400.
    const missing = await get('/openstack/latest/meta_data.json', {});
    assert.equal(missing.status, 400);
    assert.match(missing.text, /X-Instance-ID header is missing from request\./);
    assert.equal((await get('/latest/meta-data/', {})).status, 400);
    assert.equal((await get('/openstack/latest/meta_data.json', { 'x-instance-id': vm.id })).status, 400);
    assert.equal((await get('/openstack/latest/meta_data.json', { 'x-instance-id': vm.id, 'x-instance-id-signature': 'f'.repeat(64) })).status, 403);
    assert.equal((await get('/openstack/latest/meta_data.json', { ...signed(vm.id), 'x-tenant-id': 'someone-else' })).status, 404);
    assert.equal((await get('/openstack/latest/meta_data.json', signed('00000000-0000-4000-8000-000000000000'))).status, 404);
    assert.equal((await get('/openstack/9999-01-01/meta_data.json')).status, 404);
  });

  test('OpenStack tree: versions, meta_data.json, user_data, network_data.json, vendor_data.json, password', async () => {
    const root = (await get('/')).text.split('\n');
    assert.ok(root.includes('2009-04-04') && root.at(-1) === 'latest', root.join(','));
    assert.deepEqual((await get('/openstack')).text.split('\n'), ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27', 'latest']);
    assert.deepEqual((await get('/openstack/latest')).text.split('\n').sort(), ['meta_data.json', 'network_data.json', 'password', 'user_data', 'vendor_data.json', 'vendor_data2.json']);

    const m = JSON.parse((await get('/openstack/latest/meta_data.json')).text);
    assert.equal(m.uuid, vm.id);
    assert.equal(m.name, 'md-vm');
    assert.equal(m.hostname, 'md-vm');
    assert.equal(m.availability_zone, 'nova');
    assert.equal(m.project_id, vm.projectId);
    assert.equal(m.launch_index, 0);
    assert.deepEqual(m.meta, { role: 'web' });
    assert.equal(m.public_keys['md-key'].trim(), publicKey.trim());
    assert.deepEqual(m.keys.map((k: any) => [k.name, k.type]), [['md-key', 'ssh']]);
    assert.deepEqual(m.devices, []);
    assert.equal(Buffer.from(m.random_seed, 'base64').length, 512);
    const old = JSON.parse((await get('/openstack/2012-08-10/meta_data.json')).text);
    assert.equal(old.uuid, vm.id);
    assert.equal(old.project_id, undefined, 'project_id came with 2015-10-15');
    assert.equal((await get('/openstack/2012-08-10/network_data.json')).status, 404);

    const ud = await get('/openstack/latest/user_data');
    assert.equal(ud.status, 200);
    assert.equal(ud.text, '#!/bin/sh\necho hello from user data\n');
    assert.equal((await get('/openstack/latest/user_data', signed(plainId))).status, 404, 'no user data: 404');
    assert.ok(!(await get('/openstack/latest', signed(plainId))).text.includes('user_data'));

    const nd = JSON.parse((await get('/openstack/latest/network_data.json')).text);
    assert.equal(nd.links.length, 1);
    assert.equal(nd.links[0].ethernet_mac_address, vm.mac);
    assert.equal(nd.networks[0].link, nd.links[0].id);
    assert.equal(nd.networks[0].network_id, vm.networkId);
    assert.equal(nd.networks[0].ip_address, vm.ip);
    assert.equal(nd.networks[0].type, 'ipv4');
    assert.match(nd.networks[0].netmask, /^255\./);
    assert.ok(Array.isArray(nd.services));

    assert.deepEqual(JSON.parse((await get('/openstack/latest/vendor_data.json')).text), {});
    assert.deepEqual(JSON.parse((await get('/openstack/latest/vendor_data2.json')).text), {});
    assert.equal((await get('/openstack/2013-10-17/vendor_data2.json')).status, 404);
    assert.equal((await get('/openstack/latest/password')).text, '');
    assert.equal((await get('/openstack/latest/password', { ...signed(vm.id), 'content-type': 'text/plain' }, { method: 'POST', body: 'encrypted-pw' })).status, 200);
    assert.equal((await get('/openstack/latest/password')).text, 'encrypted-pw');
    assert.equal((await get('/openstack/latest/password', { ...signed(vm.id), 'content-type': 'text/plain' }, { method: 'POST', body: 'again' })).status, 409);
  });

  test('unsigned neutron proxy headers (the fixed IP and network or router of a real server) are refused: only the relay, which signs, is trusted', async () => {
    const unsigned = [
      { 'x-forwarded-for': vm.ip, 'x-neutron-network-id': vm.networkId },
      ...(await json<Array<{ ID: string }>>('router', 'list')).map((r) => ({ 'x-forwarded-for': vm.ip, 'x-neutron-router-id': r.ID })),
    ];
    assert.ok(unsigned.length >= 2, 'the default router1 is there too');
    for (const headers of unsigned) {
      for (const path of ['/openstack/latest/meta_data.json', '/openstack/latest/user_data', '/latest/meta-data/hostname']) {
        const r = await get(path, headers);
        assert.equal(r.status, 400, `${path} ${JSON.stringify(headers)}: ${r.text}`);
        assert.match(r.text, /X-Instance-ID header is missing from request\./);
        assert.ok(!r.text.includes('md-vm') && !r.text.includes('hello from user data'), 'nothing of the server leaks');
      }
    }
    // A tenant id along with them changes nothing without a signature.
    assert.equal((await get('/openstack/latest/meta_data.json', { 'x-forwarded-for': vm.ip, 'x-neutron-network-id': vm.networkId, 'x-tenant-id': vm.projectId })).status, 400);
    assert.equal(JSON.parse((await get('/openstack/latest/meta_data.json', { ...signed(vm.id), 'x-tenant-id': vm.projectId })).text).uuid, vm.id, 'signed, with its own tenant: answered');
  });

  test('openstack console url show --novnc: a noVNC URL on the proxy port whose token the proxy accepts (or 400 without consoles)', async () => {
    let url: string;
    try {
      url = (await json<{ url: string }>('console', 'url', 'show', '--novnc', 'md-vm')).url;
    } catch (err) {
      // A driver without graphical consoles: nova's 400 ConsoleTypeUnavailable.
      assert.match(String((err as { stderr?: string }).stderr), /Unavailable console type vnc/);
      return;
    }
    const u = new URL(url);
    assert.equal(`${u.host}${u.pathname}`, `127.0.0.1:${vncPort}/vnc_auto.html`);
    const token = /^\?token=(.+)$/.exec(u.searchParams.get('path') ?? '')?.[1];
    assert.ok(token !== undefined, url);
    const status = async (t: string): Promise<number> => {
      const ws = new WebSocket(`ws://127.0.0.1:${vncPort}/websockify?token=${t}`);
      return new Promise<number>((resolve) => {
        ws.once('upgrade', (res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(-1));
      });
    };
    assert.equal(await status(token), 101, 'the proxy accepts the token it issued');
    assert.equal(await status('A'.repeat(43)), 401, 'and refuses a forged one');
  });

  test('EC2 tree: meta-data listing, instance-id, hostname, local-ipv4, public key, placement, user-data', async () => {
    assert.deepEqual((await get('/latest')).text.split('\n'), ['meta-data/', 'user-data']);
    const listing = (await get('/latest/meta-data/')).text.split('\n');
    for (const k of ['ami-id', 'hostname', 'instance-id', 'local-ipv4', 'public-ipv4', 'placement/', 'public-keys/', 'reservation-id', 'block-device-mapping/']) assert.ok(listing.includes(k), `${k} in ${listing.join(',')}`);
    assert.match((await get('/latest/meta-data/instance-id')).text, /^i-[0-9a-f]{8}$/);
    assert.equal((await get('/latest/meta-data/hostname')).text, 'md-vm.novalocal');
    assert.equal((await get('/latest/meta-data/local-ipv4')).text, vm.ip);
    assert.equal((await get('/latest/meta-data/placement/availability-zone')).text, 'nova');
    assert.equal((await get('/latest/meta-data/public-keys/')).text, '0=md-key');
    assert.equal((await get('/latest/meta-data/public-keys/0/')).text, 'openssh-key');
    assert.equal((await get('/latest/meta-data/public-keys/0/openssh-key')).text.trim(), publicKey.trim());
    assert.equal((await get('/2009-04-04/meta-data/local-ipv4')).text, vm.ip);
    assert.equal((await get('/latest/user-data')).text, '#!/bin/sh\necho hello from user data\n');
    assert.equal((await get('/latest/user-data', signed(plainId))).status, 404);
    assert.equal((await get('/latest/meta-data/no-such-key')).status, 404);
  });
});
