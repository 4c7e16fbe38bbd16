import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@strata/log';
import { ImageClient, requestJson } from '@strata/clients';
import { startTestCloud, type TestCloud } from '@strata/testing';
import { ImageService } from './image-service.js';

const PATCH = 'application/openstack-images-v2.1-json-patch';
const MiB = 1024 * 1024;

interface Res {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  raw: Buffer;
}

function qcow2(virtualSize: bigint): Buffer {
  const b = Buffer.alloc(512);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(3, 4);
  b.writeUInt32BE(16, 20);
  b.writeBigUInt64BE(virtualSize, 24);
  b.writeUInt32BE(104, 100);
  return b;
}

describe('glance over app.inject, with a real keystone', () => {
  let tc: TestCloud;
  let svc: ImageService;
  let dataDir: string;
  let baseUrl: string;
  const tokens: Record<string, string> = {};
  const projects: Record<string, string> = {};

  const call = async (method: string, url: string, opts: { as?: string; json?: unknown; body?: Buffer | string; type?: string; headers?: Record<string, string> } = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.as !== undefined) headers['x-auth-token'] = tokens[opts.as] as string;
    let payload: Buffer | string | undefined;
    if (opts.json !== undefined) {
      payload = JSON.stringify(opts.json);
      headers['content-type'] = opts.type ?? 'application/json';
    } else if (opts.body !== undefined) {
      payload = opts.body;
      headers['content-type'] = opts.type ?? 'application/octet-stream';
    }
    const res = await svc.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    let body: unknown;
    try {
      body = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, raw: res.rawPayload };
  };
  const create = async (as: string, attrs: object = {}): Promise<any> => {
    const res = await call('POST', '/v2/images', { as, json: { disk_format: 'raw', container_format: 'bare', ...attrs } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const upload = async (as: string, id: string, data: Buffer): Promise<Res> => call('PUT', `/v2/images/${id}/file`, { as, body: data });
  const show = async (as: string, id: string): Promise<any> => (await call('GET', `/v2/images/${id}`, { as })).body;
  const storedFiles = (): string[] => readdirSync(dataDir).filter((f) => f !== 'staging');

  before(async () => {
    tc = await startTestCloud();
    const admin = await tc.adminToken();
    tokens.admin = admin;
    const h = { 'x-auth-token': admin };
    const member = (await requestJson<{ roles: Array<{ id: string }> }>(`${tc.authUrl}/roles?name=member`, { headers: h })).body.roles[0]?.id;
    for (const name of ['p1', 'p2', 'p3']) {
      const p = await requestJson<{ project: { id: string } }>(`${tc.authUrl}/projects`, { method: 'POST', headers: h, body: { project: { name: `glance-${name}` } } });
      projects[name] = p.body.project.id;
      const u = await requestJson<{ user: { id: string } }>(`${tc.authUrl}/users`, { method: 'POST', headers: h, body: { user: { name: `glance-${name}-user`, password: 'pw-glance' } } });
      await requestJson(`${tc.authUrl}/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${member}`, { method: 'PUT', headers: h });
      tokens[name] = (await tc.identity.authenticate({ username: `glance-${name}-user`, password: 'pw-glance', projectName: `glance-${name}` })).id;
    }
    projects.admin = (await tc.identity.validateToken(admin, admin)).project?.id as string;
    dataDir = mkdtempSync(join(tmpdir(), 'strata-glance-'));
    svc = await ImageService.create({
      databaseUrl: `sqlite://${join(dataDir, 'image.sqlite')}`,
      dataDir: join(dataDir, 'images'),
      authUrl: tc.authUrl,
      logger: silentLogger(),
      limits: { imageSizeCap: MiB, userStorageQuota: 0, tagQuota: 3 },
      requireEnforcement: true,
    });
    dataDir = join(dataDir, 'images');
    baseUrl = await svc.listen('127.0.0.1', 0);
  });
  after(async () => {
    await svc.close();
    await tc.close();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  test('discovery: 300 with the version list at / and /versions, without a token; everything else needs one', async () => {
    for (const url of ['/', '/versions']) {
      const res = await call('GET', url);
      assert.equal(res.status, 300);
      assert.equal(res.body.versions[0].status, 'CURRENT');
      assert.match(res.body.versions[0].id, /^v2\.\d+$/);
      assert.match(res.body.versions[0].links[0].href, /\/v2\/$/);
    }
    const none = await call('GET', '/v2/images');
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /Keystone uri=/);
  });

  test("create: glance's defaults and headers; read-only, reserved and invalid attributes are refused", async () => {
    const res = await call('POST', '/v2/images', { as: 'p1', json: { name: 'c1', disk_format: 'qcow2', container_format: 'bare', tags: ['x', 'x'], os_distro: 'debian' } });
    assert.equal(res.status, 201);
    const img = res.body;
    assert.equal(img.status, 'queued');
    assert.equal(img.visibility, 'shared');
    assert.equal(img.owner, projects.p1);
    assert.equal(img.size, null);
    assert.deepEqual(img.tags, ['x']);
    assert.equal(img.os_distro, 'debian');
    assert.equal(img.self, `/v2/images/${img.id}`);
    assert.match(img.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(res.headers['openstack-image-import-methods'], 'glance-direct');
    assert.match(String(res.headers.location), new RegExp(`/v2/images/${img.id}$`));
    const cases: Array<[object, number]> = [
      [{ size: 5 }, 403],
      [{ status: 'active' }, 403],
      [{ deleted: true }, 403],
      [{ disk_format: 'wrong' }, 400],
      [{ container_format: 'wrong' }, 400],
      [{ min_ram: -1 }, 400],
      [{ custom: 5 }, 400],
      [{ id: 'not-a-uuid' }, 400],
      [{ id: img.id }, 409],
      [{ owner: projects.p2 }, 403],
      [{ visibility: 'public' }, 403],
      [{ tags: ['a', 'b', 'c', 'd'] }, 413],
    ];
    for (const [attrs, status] of cases) {
      const r = await call('POST', '/v2/images', { as: 'p1', json: { name: 'bad', ...attrs } });
      assert.equal(r.status, status, JSON.stringify(attrs));
      assert.equal(r.body.code, `${status} ${r.body.title}`, 'glance error body');
    }
    assert.equal((await call('POST', '/v2/images', { as: 'admin', json: { name: 'pub', visibility: 'public', owner: projects.p3 } })).status, 201);
  });

  test('upload and download: size, md5, sha512, virtual size; Range and Content-MD5; 204 while queued', async () => {
    const img = await create('p1', { disk_format: 'qcow2' });
    const empty = await call('GET', `/v2/images/${img.id}/file`, { as: 'p1' });
    assert.equal(empty.status, 204);
    const data = Buffer.concat([qcow2(20n * 1024n ** 3n), randomBytes(200_000)]);
    assert.equal((await upload('p1', img.id, data)).status, 204);
    const got = await show('p1', img.id);
    assert.equal(got.status, 'active');
    assert.equal(got.size, data.length);
    assert.equal(got.virtual_size, 20 * 1024 ** 3);
    assert.equal(got.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(got.os_hash_algo, 'sha512');
    assert.equal(got.os_hash_value, createHash('sha512').update(data).digest('hex'));
    const whole = await call('GET', `/v2/images/${img.id}/file`, { as: 'p1' });
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.raw, data);
    assert.equal(whole.headers['content-md5'], got.checksum);
    assert.equal(whole.headers['content-type'], 'application/octet-stream');
    const part = await call('GET', `/v2/images/${img.id}/file`, { as: 'p1', headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${data.length}`);
    assert.deepEqual(part.raw, data.subarray(100, 200));
    const tail = await call('GET', `/v2/images/${img.id}/file`, { as: 'p1', headers: { range: 'bytes=-10' } });
    assert.deepEqual(tail.raw, data.subarray(data.length - 10));
    const bad = await call('GET', `/v2/images/${img.id}/file`, { as: 'p1', headers: { range: `bytes=${data.length}-` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${data.length}`);
    const raw = await create('p1', { disk_format: 'raw' });
    await upload('p1', raw.id, Buffer.alloc(4096, 1));
    assert.equal((await show('p1', raw.id)).virtual_size, 4096);
  });

  test('bad uploads change nothing: 415 wrong type, 409 active image, 413 past the size cap (no data left, back to queued)', async () => {
    const img = await create('p1');
    const wrongType = await call('PUT', `/v2/images/${img.id}/file`, { as: 'p1', body: 'abc', type: 'application/json' });
    assert.equal(wrongType.status, 415);
    assert.equal((await show('p1', img.id)).status, 'queued');
    const before = storedFiles();
    const big = await upload('p1', img.id, randomBytes(MiB + 1));
    assert.equal(big.status, 413);
    assert.equal(big.body.title, 'Request Entity Too Large');
    assert.equal((await show('p1', img.id)).status, 'queued');
    assert.deepEqual(storedFiles(), before, 'no partial data');
    assert.equal((await upload('p1', img.id, Buffer.from('ok'))).status, 204);
    const again = await upload('p1', img.id, Buffer.from('again'));
    assert.equal(again.status, 409);
    assert.equal((await show('p1', img.id)).size, 2);
    const unsafe = await create('p1', { disk_format: 'qcow2' });
    const withBacking = qcow2(1n << 30n);
    withBacking.writeBigUInt64BE(0x200n, 8);
    assert.equal((await upload('p1', unsafe.id, withBacking)).status, 400);
    assert.equal((await show('p1', unsafe.id)).status, 'queued');
  });

  test('an upload cut off by the client returns the image to queued and leaves no data', async () => {
    const img = await create('p1');
    const before = storedFiles();
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${baseUrl}/v2/images/${img.id}/file`, { method: 'PUT', headers: { 'x-auth-token': tokens.p1, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(randomBytes(100_000), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => resolve());
    });
    let status = '';
    for (let i = 0; i < 250 && status !== 'queued'; i++) {
      status = (await show('p1', img.id)).status;
      if (status !== 'queued') await sleep(20);
    }
    assert.equal(status, 'queued');
    assert.deepEqual(storedFiles(), before);
  });

  test('PATCH: both media types; 415, 400, 403, 409 leave the image as it was', async () => {
    const img = await create('p1', { name: 'before', os_distro: 'debian' });
    const ok = await call('PATCH', `/v2/images/${img.id}`, { as: 'p1', type: PATCH, json: [{ op: 'replace', path: '/name', value: 'after' }, { op: 'add', path: '/hw_disk_bus', value: 'virtio' }, { op: 'remove', path: '/os_distro' }, { op: 'add', path: '/tags', value: ['t'] }] });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.name, 'after');
    assert.equal(ok.body.hw_disk_bus, 'virtio');
    assert.equal(ok.body.os_distro, undefined);
    assert.deepEqual(ok.body.tags, ['t']);
    const v20 = await call('PATCH', `/v2/images/${img.id}`, { as: 'p1', type: 'application/openstack-images-v2.0-json-patch', json: [{ replace: '/min_ram', value: 256 }] });
    assert.equal(v20.body.min_ram, 256);
    const cases: Array<[string, unknown, number]> = [
      ['application/json', [{ op: 'replace', path: '/name', value: 'x' }], 415],
      [PATCH, [{ op: 'replace', path: '/name/x', value: 'x' }], 400],
      [PATCH, [{ op: 'replace', path: 'name', value: 'x' }], 400],
      [PATCH, [{ op: 'replace', path: '/name', value: 'x' }, { op: 'replace', path: '/checksum', value: 'x' }], 403],
      [PATCH, [{ op: 'replace', path: '/name', value: 'x' }, { op: 'replace', path: '/nope', value: 'x' }], 409],
      [PATCH, [{ op: 'replace', path: '/name', value: 'x' }, { op: 'replace', path: '/visibility', value: 'public' }], 403],
      [PATCH, [{ op: 'replace', path: '/owner', value: projects.p2 }], 403],
    ];
    for (const [type, ops, status] of cases) assert.equal((await call('PATCH', `/v2/images/${img.id}`, { as: 'p1', type, json: ops })).status, status, JSON.stringify(ops));
    const now = await show('p1', img.id);
    assert.equal(now.name, 'after');
    assert.equal(now.visibility, 'shared');
    await upload('p1', img.id, Buffer.from('data'));
    assert.equal((await call('PATCH', `/v2/images/${img.id}`, { as: 'p1', type: PATCH, json: [{ op: 'replace', path: '/disk_format', value: 'qcow2' }] })).status, 403);
    const admin = await call('PATCH', `/v2/images/${img.id}`, { as: 'admin', type: PATCH, json: [{ op: 'replace', path: '/owner', value: projects.p3 }] });
    assert.equal(admin.body.owner, projects.p3);
  });

  test("visibility: another project's private image is a 404 for every verb; public images are listed, community ones only on request", async () => {
    const priv = await create('p1', { visibility: 'private', name: 'secret' });
    await upload('p1', priv.id, Buffer.from('secret'));
    for (const [method, url] of [['GET', `/v2/images/${priv.id}`], ['GET', `/v2/images/${priv.id}/file`], ['DELETE', `/v2/images/${priv.id}`], ['PUT', `/v2/images/${priv.id}/tags/x`], ['GET', `/v2/images/${priv.id}/members`]] as const) {
      assert.equal((await call(method, url, { as: 'p2' })).status, 404, `${method} ${url}`);
    }
    assert.equal((await call('PATCH', `/v2/images/${priv.id}`, { as: 'p2', type: PATCH, json: [{ op: 'replace', path: '/name', value: 'x' }] })).status, 404);
    assert.equal((await show('p1', priv.id)).name, 'secret');
    assert.equal((await call('GET', `/v2/images/${priv.id}`, { as: 'admin' })).status, 200);
    const community = await create('p1', { visibility: 'community', name: 'comm' });
    const listed = async (as: string, query = ''): Promise<string[]> => (await call('GET', `/v2/images?limit=1000${query}`, { as })).body.images.map((i: { id: string }) => i.id);
    assert.ok(!(await listed('p2')).includes(priv.id));
    assert.ok(!(await listed('p2')).includes(community.id));
    assert.ok((await listed('p2', '&visibility=community')).includes(community.id));
    assert.equal((await call('GET', `/v2/images/${community.id}`, { as: 'p2' })).status, 200);
    assert.equal((await call('DELETE', `/v2/images/${community.id}`, { as: 'p2' })).status, 403);
  });

  test('sharing: a member sees a shared image in its list only after accepting; only the member accepts', async () => {
    const img = await create('p1', { name: 'shared-one' });
    const listed = async (as: string, query = ''): Promise<string[]> => (await call('GET', `/v2/images?limit=1000${query}`, { as })).body.images.map((i: { id: string }) => i.id);
    const add = await call('POST', `/v2/images/${img.id}/members`, { as: 'p1', json: { member: projects.p2 } });
    assert.equal(add.status, 200);
    assert.deepEqual({ ...add.body, created_at: undefined, updated_at: undefined }, { image_id: img.id, member_id: projects.p2, status: 'pending', schema: '/v2/schemas/member', created_at: undefined, updated_at: undefined });
    assert.equal((await call('POST', `/v2/images/${img.id}/members`, { as: 'p1', json: { member: projects.p2 } })).status, 409);
    assert.ok(!(await listed('p2')).includes(img.id));
    assert.ok((await listed('p2', '&visibility=shared&member_status=pending')).includes(img.id));
    assert.equal((await call('GET', `/v2/images/${img.id}`, { as: 'p2' })).status, 200, 'a pending member may look at it');
    assert.equal((await call('PUT', `/v2/images/${img.id}/members/${projects.p2}`, { as: 'p1', json: { status: 'accepted' } })).status, 403);
    assert.equal((await call('PUT', `/v2/images/${img.id}/members/${projects.p2}`, { as: 'p2', json: { status: 'maybe' } })).status, 400);
    const accepted = await call('PUT', `/v2/images/${img.id}/members/${projects.p2}`, { as: 'p2', json: { status: 'accepted' } });
    assert.equal(accepted.body.status, 'accepted');
    assert.ok((await listed('p2')).includes(img.id));
    assert.equal((await call('GET', `/v2/images/${img.id}/members`, { as: 'p1' })).body.members.length, 1);
    assert.equal((await call('GET', `/v2/images/${img.id}/members/${projects.p2}`, { as: 'p2' })).body.status, 'accepted');
    assert.equal((await call('GET', `/v2/images/${img.id}/members`, { as: 'p3' })).status, 404);
    assert.equal((await call('DELETE', `/v2/images/${img.id}/members/${projects.p2}`, { as: 'p2' })).status, 403);
    assert.equal((await call('DELETE', `/v2/images/${img.id}/members/${projects.p2}`, { as: 'p1' })).status, 204);
    assert.ok(!(await listed('p2')).includes(img.id));
    const priv = await create('p1', { visibility: 'private' });
    assert.equal((await call('POST', `/v2/images/${priv.id}/members`, { as: 'p1', json: { member: projects.p2 } })).status, 403);
  });

  test('list: filters, sorting, and paging with next links', async () => {
    const tag = `list-${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (const size of [300, 100, 200]) {
      const img = await create('p3', { name: `${tag}-${size}`, tags: [tag], os_distro: tag });
      await upload('p3', img.id, Buffer.alloc(size, 1));
      ids.push(img.id);
    }
    const list = async (query: string): Promise<any> => (await call('GET', `/v2/images?${query}`, { as: 'p3' })).body;
    assert.deepEqual((await list(`tag=${tag}&sort=size:asc`)).images.map((i: { size: number }) => i.size), [100, 200, 300]);
    assert.deepEqual((await list(`tag=${tag}&sort_key=size&sort_dir=desc`)).images.map((i: { size: number }) => i.size), [300, 200, 100]);
    assert.deepEqual((await list(`os_distro=${tag}&size_min=150&size_max=250`)).images.map((i: { size: number }) => i.size), [200]);
    assert.equal((await list(`name=${tag}-100`)).images.length, 1);
    assert.equal((await list(`name=in:${tag}-100,${tag}-300&tag=${tag}`)).images.length, 2);
    assert.equal((await list(`size=200&tag=${tag}`)).images[0].size, 200);
    const seen: string[] = [];
    let page = await list(`tag=${tag}&limit=2&sort=name:asc`);
    assert.equal(page.first, `/v2/images?tag=${tag}&limit=2&sort=name%3Aasc`);
    seen.push(...page.images.map((i: { id: string }) => i.id));
    assert.ok(page.next !== undefined);
    page = (await call('GET', page.next, { as: 'p3' })).body;
    seen.push(...page.images.map((i: { id: string }) => i.id));
    assert.equal(page.next, undefined);
    assert.deepEqual(seen.sort(), [...ids].sort());
    assert.equal((await call('GET', `/v2/images?marker=${randomUUID()}`, { as: 'p3' })).status, 400);
    assert.equal((await call('GET', '/v2/images?sort_key=bogus', { as: 'p3' })).status, 400);
  });

  test('protected images cannot be deleted; deactivated images cannot be downloaded except by an admin; tags', async () => {
    const img = await create('p1', { protected: true });
    await upload('p1', img.id, Buffer.from('protected data'));
    assert.equal((await call('DELETE', `/v2/images/${img.id}`, { as: 'p1' })).status, 403);
    assert.equal((await call('POST', `/v2/images/${img.id}/actions/deactivate`, { as: 'p1' })).status, 204);
    assert.equal((await show('p1', img.id)).status, 'deactivated');
    assert.equal((await call('GET', `/v2/images/${img.id}/file`, { as: 'p1' })).status, 403);
    assert.equal((await call('GET', `/v2/images/${img.id}/file`, { as: 'admin' })).status, 200);
    assert.equal((await call('POST', `/v2/images/${img.id}/actions/reactivate`, { as: 'p1' })).status, 204);
    assert.equal((await call('GET', `/v2/images/${img.id}/file`, { as: 'p1' })).raw.toString(), 'protected data');
    const queued = await create('p1');
    assert.equal((await call('POST', `/v2/images/${queued.id}/actions/deactivate`, { as: 'p1' })).status, 403);
    assert.equal((await call('PUT', `/v2/images/${img.id}/tags/t1`, { as: 'p1' })).status, 204);
    assert.equal((await call('PUT', `/v2/images/${img.id}/tags/t1`, { as: 'p1' })).status, 204);
    assert.deepEqual((await show('p1', img.id)).tags, ['t1']);
    assert.equal((await call('DELETE', `/v2/images/${img.id}/tags/nope`, { as: 'p1' })).status, 404);
    assert.equal((await call('DELETE', `/v2/images/${img.id}/tags/t1`, { as: 'p1' })).status, 204);
    await call('PATCH', `/v2/images/${img.id}`, { as: 'p1', type: PATCH, json: [{ op: 'replace', path: '/protected', value: false }] });
    assert.equal((await call('DELETE', `/v2/images/${img.id}`, { as: 'p1' })).status, 204);
    assert.equal((await call('GET', `/v2/images/${img.id}`, { as: 'p1' })).status, 404);
    assert.ok(!storedFiles().includes(img.id), 'delete removes the data');
    assert.equal((await call('GET', '/v2/images/', { as: 'p1' })).status, 404, 'an empty id is a 404, not the list');
  });

  test('glance-direct: stage, import, task; info and schema documents', async () => {
    const info = await call('GET', '/v2/info/import', { as: 'p1' });
    assert.deepEqual(info.body['import-methods'].value, ['glance-direct']);
    assert.equal((await call('GET', '/v2/info/stores', { as: 'p1' })).body.stores[0].id, 'file');
    for (const name of ['image', 'images', 'member', 'members', 'metadefs/namespace', 'metadefs/resource_type']) {
      const doc = await call('GET', `/v2/schemas/${name}`, { as: 'p1' });
      assert.equal(doc.status, 200, name);
      assert.ok(typeof doc.body.name === 'string', name);
    }
    const img = await create('p1');
    assert.equal((await call('POST', `/v2/images/${img.id}/import`, { as: 'p1', json: { method: { name: 'glance-direct' } } })).status, 409, 'not staged');
    const data = randomBytes(50_000);
    assert.equal((await call('PUT', `/v2/images/${img.id}/stage`, { as: 'p1', body: data })).status, 204);
    assert.equal((await show('p1', img.id)).status, 'uploading');
    assert.equal((await call('POST', `/v2/images/${img.id}/import`, { as: 'p1', json: { method: { name: 'web-download' } } })).status, 400);
    const imported = await call('POST', `/v2/images/${img.id}/import`, { as: 'p1', json: { method: { name: 'glance-direct' } } });
    assert.equal(imported.status, 202);
    await svc.api.settled();
    const done = await show('p1', img.id);
    assert.equal(done.status, 'active');
    assert.equal(done.checksum, createHash('md5').update(data).digest('hex'));
    const tasks = (await call('GET', `/v2/images/${img.id}/tasks`, { as: 'p1' })).body.tasks;
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].status, 'success');
    assert.equal(tasks[0].request_id, imported.headers['x-openstack-request-id']);
    assert.deepEqual(readdirSync(join(dataDir, 'staging')), [], 'staging area emptied');
  });

  test('the storage quota of a project is enforced with 413', async () => {
    const quotaDir = mkdtempSync(join(tmpdir(), 'strata-glance-quota-'));
    const q = await ImageService.create({ databaseUrl: 'sqlite://:memory:', dataDir: quotaDir, authUrl: tc.authUrl, logger: silentLogger(), limits: { userStorageQuota: 1000 } });
    try {
      const post = async (): Promise<string> => (await q.app.inject({ method: 'POST', url: '/v2/images', headers: { 'x-auth-token': tokens.p3 as string }, payload: { disk_format: 'raw', container_format: 'bare' } })).json().id;
      const put = async (id: string, n: number): Promise<number> => (await q.app.inject({ method: 'PUT', url: `/v2/images/${id}/file`, headers: { 'x-auth-token': tokens.p3 as string, 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(n) })).statusCode;
      assert.equal(await put(await post(), 600), 204);
      const second = await post();
      assert.equal(await put(second, 600), 413);
      assert.equal(await put(second, 400), 204);
      assert.equal(await put(await post(), 1), 413);
    } finally {
      await q.close();
      rmSync(quotaDir, { recursive: true, force: true });
    }
  });

  test('a download records FLOW.md steps 21–27 under the global request id, and the image client verifies what it saves', async () => {
    const img = await create('p2');
    const data = randomBytes(300_000);
    await upload('p2', img.id, data);
    const rid = `req-${randomUUID()}`;
    const res = await fetch(`${baseUrl}/v2/images/${img.id}/file`, { headers: { 'x-auth-token': tokens.p2 as string, 'x-openstack-request-id': rid } });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    // Step 27 is recorded when the server sees its response closed, just after the client read it all.
    const steps = async (id: string, n: number): Promise<number[]> => {
      for (let i = 0; i < 250 && svc.tracer.read(id).length < n; i++) await sleep(20);
      return svc.tracer.read(id).map((e) => e.step);
    };
    assert.deepEqual(await steps(rid, 7), [21, 22, 23, 24, 25, 26, 27]);
    assert.ok(svc.tracer.read(rid).every((e) => e.outcome === 'ok'));

    const client = new ImageClient(baseUrl);
    const target = join(dataDir, '..', 'downloaded.img');
    const trace = svc.tracer.begin(`req-${randomUUID()}`);
    const result = await client.downloadToPath(tokens.p2 as string, img.id, target, { trace });
    assert.equal(result.verifiedWith, 'sha512');
    assert.deepEqual(readFileSync(target), data);
    assert.deepEqual(await steps(trace.id, 10), [20, 21, 21, 22, 22, 23, 24, 25, 26, 27]);
    // Corrupt the stored data: the client refuses it and leaves nothing at the path.
    writeFileSync(join(dataDir, img.id), randomBytes(data.length));
    const second = join(dataDir, '..', 'second.img');
    await assert.rejects(client.downloadToPath(tokens.p2 as string, img.id, second), (err: { code?: string }) => err.code === 'ImageChecksumMismatch');
    assert.equal(existsSync(second), false);
    assert.deepEqual(readdirSync(join(dataDir, '..')).filter((f) => f.includes('.part-')), []);
  });

  test('metadata definitions: admins manage namespaces and their items; others read public ones', async () => {
    const types = (await call('GET', '/v2/metadefs/resource_types', { as: 'p1' })).body.resource_types.map((r: { name: string }) => r.name);
    assert.ok(types.includes('OS::Glance::Image'));
    assert.equal((await call('POST', '/v2/metadefs/namespaces', { as: 'p1', json: { namespace: 'nope' } })).status, 403);
    const ns = await call('POST', '/v2/metadefs/namespaces', { as: 'admin', json: { namespace: 'strata-ns', visibility: 'public', protected: true, resource_type_associations: [{ name: 'OS::Glance::Image' }] } });
    assert.equal(ns.status, 201);
    assert.equal((await call('POST', '/v2/metadefs/namespaces', { as: 'admin', json: { namespace: 'strata-ns' } })).status, 409);
    assert.equal((await call('DELETE', '/v2/metadefs/namespaces/strata-ns', { as: 'admin' })).status, 403);
    assert.equal((await call('POST', '/v2/metadefs/namespaces/strata-ns/objects', { as: 'admin', json: { name: 'obj', description: 'd' } })).status, 201);
    assert.equal((await call('PUT', '/v2/metadefs/namespaces/strata-ns/objects/obj', { as: 'admin', json: { name: 'obj2' } })).body.name, 'obj2');
    assert.equal((await call('POST', '/v2/metadefs/namespaces/strata-ns/properties', { as: 'admin', json: { name: 'hw', title: 'HW', type: 'string', enum: ['a'] } })).status, 201);
    assert.deepEqual(Object.keys((await call('GET', '/v2/metadefs/namespaces/strata-ns/properties', { as: 'p1' })).body.properties), ['hw']);
    assert.equal((await call('POST', '/v2/metadefs/namespaces/strata-ns/tags', { as: 'admin', json: { tags: [{ name: 'a' }, { name: 'b' }] } })).status, 201);
    assert.equal((await call('GET', '/v2/metadefs/namespaces/strata-ns/tags', { as: 'p1' })).body.tags.length, 2);
    const shown = (await call('GET', '/v2/metadefs/namespaces/strata-ns', { as: 'p1' })).body;
    assert.equal(shown.resource_type_associations[0].name, 'OS::Glance::Image');
    assert.equal((await call('PUT', '/v2/metadefs/namespaces/strata-ns', { as: 'admin', json: { namespace: 'strata-ns', visibility: 'private', protected: false } })).body.protected, false);
    assert.equal((await call('GET', '/v2/metadefs/namespaces/strata-ns', { as: 'p1' })).status, 404, 'private to its owner now');
    assert.equal((await call('DELETE', '/v2/metadefs/namespaces/strata-ns', { as: 'admin' })).status, 204);
  });
});
