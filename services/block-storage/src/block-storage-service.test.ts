import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@strata/log';
import { startTestCloud, type TestCloud } from '@strata/testing';
import { Tracer } from '@strata/trace';
import { startBlockStorageNode, type BlockStorageNode } from './block-storage-node.js';
import { makeMember, testSettings, volumeClient, waitUntil } from './test-support.js';

const CINDER_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

describe('cinder API over HTTP with a real keystone', () => {
  let tc: TestCloud;
  let node: BlockStorageNode;
  let call: ReturnType<typeof volumeClient>;
  let admin: string;
  let adminProject: string;
  let alice: { projectId: string; token: string };
  let bob: { projectId: string; token: string };
  const tracer = new Tracer();
  const v3 = (p: string, rest: string) => `/v3/${p}${rest}`;

  const waitStatus = (token: string, project: string, id: string, status: string, kind = 'volumes') =>
    waitUntil(
      () => call('GET', v3(project, `/${kind}/${id}`), { token }),
      (r) => r.body?.[kind === 'volumes' ? 'volume' : 'snapshot']?.status === status || ['error'].includes(r.body?.[kind === 'volumes' ? 'volume' : 'snapshot']?.status),
    );

  before(async () => {
    tc = await startTestCloud();
    admin = await tc.adminToken();
    const a = await makeMember(tc.authUrl, admin, `bs-alice-${randomBytes(3).toString('hex')}`);
    const b = await makeMember(tc.authUrl, admin, `bs-bob-${randomBytes(3).toString('hex')}`);
    alice = { projectId: a.projectId, token: await a.token() };
    bob = { projectId: b.projectId, token: await b.token() };
    node = await startBlockStorageNode({
      settings: testSettings({ enabled_backends: 'fake:fake,thin:fake', report_interval: 60_000, service_down_time: 30_000 }),
      databaseUrl: 'sqlite://:memory:',
      transportUrl: `memory://bs-test-${randomBytes(4).toString('hex')}`,
      authUrl: tc.authUrl,
      dataDir: tc.dataDir,
      listenHost: '127.0.0.1',
      logger: silentLogger(),
      tracer,
      requireEnforcement: true,
    });
    call = volumeClient(node.url);
    await call('PUT', `/v3/${(await fetch(`${tc.authUrl}/auth/tokens?nocatalog`, { headers: { 'x-auth-token': admin, 'x-subject-token': admin } }).then((r) => r.json() as Promise<{ token: { project: { id: string } } }>)).token.project.id}/os-quota-sets/${alice.projectId}`, { token: admin, body: { quota_set: { volumes: 100, snapshots: 50 } } });
    const tokenBody = await fetch(`${tc.authUrl}/auth/tokens?nocatalog`, { headers: { 'x-auth-token': admin, 'x-subject-token': admin } }).then((r) => r.json() as Promise<{ token: { project: { id: string } } }>);
    adminProject = tokenBody.token.project.id;
  });
  after(async () => {
    await node?.close();
    await tc?.close();
  });

  test('discovery: 300 at /, 200 at /v3, no token needed; microversions are echoed, 406 out of range, 400 malformed', async () => {
    const root = await call('GET', '/');
    assert.equal(root.status, 300);
    assert.equal(root.body.versions[0].id, 'v3.0');
    assert.equal(root.body.versions[0].version, '3.70');
    assert.equal(root.body.versions[0].min_version, '3.0');
    assert.equal(root.body.versions[0].status, 'CURRENT');
    assert.match(String(root.headers.get('location')), /\/v3\/$/);
    assert.equal((await call('GET', '/v3')).status, 200);
    const plain = await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token });
    assert.equal(plain.headers.get('openstack-api-version'), 'volume 3.0');
    const v327 = await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token, version: '3.27' });
    assert.equal(v327.headers.get('openstack-api-version'), 'volume 3.27');
    assert.equal(v327.headers.get('x-openstack-volume-api-version'), '3.27');
    assert.match(String(v327.headers.get('vary')), /OpenStack-API-Version/);
    const latest = await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token, version: 'latest' });
    assert.equal(latest.headers.get('openstack-api-version'), 'volume 3.70');
    const legacy = await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token, headers: { 'x-openstack-volume-api-version': '3.44' } });
    assert.equal(legacy.headers.get('openstack-api-version'), 'volume 3.44');
    const tooNew = await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token, version: '3.99' });
    assert.equal(tooNew.status, 406);
    assert.match(tooNew.body.notAcceptable.message, /Version 3\.99 is not supported/);
    const bad = await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token, version: '3.x' });
    assert.equal(bad.status, 400);
    assert.equal((await call('GET', v3(alice.projectId, '/volumes'))).status, 401);
    const otherProject = await call('GET', v3(bob.projectId, '/volumes'), { token: alice.token });
    assert.equal(otherProject.status, 400);
    assert.equal(otherProject.body.badRequest.message, 'Malformed request url');
    const attachmentsTooOld = await call('GET', v3(alice.projectId, '/attachments'), { token: alice.token, version: '3.26' });
    assert.equal(attachmentsTooOld.status, 404);
  });

  test('create → creating → available, in cinder format; FLOW.md steps 40–50 are traced', async () => {
    const res = await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, name: 'v1', metadata: { Type: 'work' } } }, headers: { 'x-openstack-request-id': 'req-11111111-2222-3333-4444-555555555555' } });
    assert.equal(res.status, 202);
    const v = res.body.volume;
    assert.equal(v.status, 'creating');
    assert.equal(v.bootable, 'false');
    assert.equal(v.volume_type, '__DEFAULT__');
    assert.equal(v.attachments.length, 0);
    assert.match(v.created_at, CINDER_TIME);
    assert.equal(v['os-vol-tenant-attr:tenant_id'], undefined, 'create responses carry no extension attributes');
    assert.equal(v.links[0].rel, 'self');
    assert.match(v.links[0].href, new RegExp(`/v3/${alice.projectId}/volumes/${v.id}$`));
    const done = await waitStatus(alice.token, alice.projectId, v.id, 'available');
    const shown = done.body.volume;
    assert.equal(shown.status, 'available');
    assert.match(shown.updated_at, CINDER_TIME);
    assert.equal(shown['os-vol-tenant-attr:tenant_id'], alice.projectId);
    assert.equal(shown['os-vol-host-attr:host'], undefined, 'host is admin-only');
    assert.deepEqual(shown.metadata, { Type: 'work' });
    const asAdmin = await call('GET', v3(adminProject, `/volumes/${v.id}`), { token: admin });
    assert.match(asAdmin.body.volume['os-vol-host-attr:host'], /^bs-[0-9a-f]+@(fake|thin)#(fake|thin)$/);
    const steps = tracer.read('req-11111111-2222-3333-4444-555555555555').map((e) => e.step);
    for (const step of [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]) assert.ok(steps.includes(step), `step ${step} traced (${steps.join(',')})`);
  });

  test('another project sees a 404 for my volume; admin with all_tenants sees it', async () => {
    const mine = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, name: 'private' } } })).body.volume;
    assert.equal((await call('GET', v3(bob.projectId, `/volumes/${mine.id}`), { token: bob.token })).status, 404);
    assert.equal((await call('DELETE', v3(bob.projectId, `/volumes/${mine.id}`), { token: bob.token })).status, 404);
    const bobList = await call('GET', v3(bob.projectId, '/volumes'), { token: bob.token });
    assert.ok(!bobList.body.volumes.some((x: { id: string }) => x.id === mine.id));
    const all = await call('GET', v3(adminProject, `/volumes/detail?all_tenants=1&project_id=${alice.projectId}`), { token: admin });
    assert.ok(all.body.volumes.some((x: { id: string }) => x.id === mine.id));
    assert.ok(all.body.volumes.every((x: Record<string, string>) => x['os-vol-tenant-attr:tenant_id'] === alice.projectId));
    assert.equal((await call('GET', v3(alice.projectId, '/volumes/not-a-uuid'), { token: alice.token })).status, 404);
    assert.equal((await call('GET', v3(alice.projectId, '/volumes/'), { token: alice.token })).status, 404);
  });

  test('bad input is refused with the right status and leaves nothing behind', async () => {
    const before = (await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token })).body.volumes.length;
    const usageBefore = (await call('GET', v3(adminProject, `/os-quota-sets/${alice.projectId}?usage=true`), { token: admin })).body.quota_set;
    for (const size of [0, -1, '0', 'abc', '#$%', '', 2 ** 31, 1.5]) {
      const r = await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size } } });
      assert.equal(r.status, 400, `size ${JSON.stringify(size)}`);
      assert.ok(r.body.badRequest.message.length > 0);
    }
    assert.equal((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: {} } })).status, 400, 'no size and no source');
    assert.equal((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, volume_type: 'no-such-type' } } })).status, 404);
    assert.equal((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, snapshot_id: '00000000-0000-0000-0000-000000000000' } } })).status, 404);
    assert.equal((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, source_volid: '00000000-0000-0000-0000-000000000000' } } })).status, 404);
    assert.equal((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, availability_zone: 'nowhere' } } })).status, 400);
    assert.equal((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, multiattach: true } } })).status, 400);
    const tooBig = await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 5000 } } });
    assert.equal(tooBig.status, 413, 'larger than the gigabytes quota');
    assert.match(tooBig.body.overLimit.message, /exceeds allowed gigabytes quota/);
    const extra = await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, version: '3.53', body: { volume: { size: 1, bogus: 1 } } });
    assert.equal(extra.status, 400, '3.53 validates strictly');
    assert.equal((await call('GET', v3(alice.projectId, '/volumes'), { token: alice.token })).body.volumes.length, before);
    const usageAfter = (await call('GET', v3(adminProject, `/os-quota-sets/${alice.projectId}?usage=true`), { token: admin })).body.quota_set;
    assert.deepEqual(usageAfter.volumes, usageBefore.volumes);
    assert.deepEqual(usageAfter.gigabytes, usageBefore.gigabytes);
  });

  test('list: filters, sort, pagination with volumes_links, with_count (3.45), summary (3.12)', async () => {
    const tag = randomBytes(3).toString('hex');
    const ids: string[] = [];
    for (const i of [1, 2, 3]) ids.push((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: i, name: `list-${tag}-${i}`, metadata: { tag } } } })).body.volume.id);
    for (const id of ids) await waitStatus(alice.token, alice.projectId, id, 'available');
    const byName = await call('GET', v3(alice.projectId, `/volumes?name=list-${tag}-2`), { token: alice.token });
    assert.deepEqual(byName.body.volumes.map((x: { id: string }) => x.id), [ids[1]]);
    const byMeta = await call('GET', v3(alice.projectId, `/volumes/detail?metadata=${encodeURIComponent(`{'tag': '${tag}'}`)}`), { token: alice.token });
    assert.equal(byMeta.body.volumes.length, 3);
    const sorted = await call('GET', v3(alice.projectId, `/volumes/detail?metadata=${encodeURIComponent(JSON.stringify({ tag }))}&sort=size:asc`), { token: alice.token });
    assert.deepEqual(sorted.body.volumes.map((x: { size: number }) => x.size), [1, 2, 3]);
    const page1 = await call('GET', v3(alice.projectId, `/volumes?metadata=${encodeURIComponent(JSON.stringify({ tag }))}&sort=size:desc&limit=2`), { token: alice.token });
    assert.equal(page1.body.volumes.length, 2);
    const next = new URL(page1.body.volumes_links[0].href);
    assert.equal(next.searchParams.get('marker'), ids[1]);
    const page2 = await call('GET', `${next.pathname}${next.search}`, { token: alice.token });
    assert.deepEqual(page2.body.volumes.map((x: { id: string }) => x.id), [ids[0]]);
    assert.equal(page2.body.volumes_links, undefined);
    assert.equal((await call('GET', v3(alice.projectId, '/volumes?marker=00000000-0000-0000-0000-000000000000'), { token: alice.token })).status, 404);
    assert.equal((await call('GET', v3(alice.projectId, '/volumes?sort=nonsense'), { token: alice.token })).status, 400);
    assert.equal((await call('GET', v3(alice.projectId, '/volumes?limit=x'), { token: alice.token })).status, 400);
    assert.equal((await call('GET', v3(alice.projectId, '/volumes?status=null'), { token: alice.token })).body.volumes.length, 0);
    const counted = await call('GET', v3(alice.projectId, `/volumes?with_count=true&metadata=${encodeURIComponent(JSON.stringify({ tag }))}&limit=1`), { token: alice.token, version: '3.45' });
    assert.equal(counted.body.count, 3);
    const summary = await call('GET', v3(alice.projectId, '/volumes/summary'), { token: alice.token, version: '3.36' });
    assert.ok(summary.body['volume-summary'].total_count >= 3);
    assert.ok(summary.body['volume-summary'].metadata.tag.includes(tag));
    assert.equal((await call('GET', v3(alice.projectId, '/volumes/summary'), { token: alice.token, version: '3.11' })).status, 404);
  });

  test('snapshots, volume from snapshot, clone, extend, delete rules and cascade', async () => {
    const v = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, name: 'src' } } })).body.volume;
    await waitStatus(alice.token, alice.projectId, v.id, 'available');
    const snap = await call('POST', v3(alice.projectId, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id, name: 's1' } } });
    assert.equal(snap.status, 202);
    assert.equal(snap.body.snapshot['os-extended-snapshot-attributes:progress'], undefined);
    const s = await waitStatus(alice.token, alice.projectId, snap.body.snapshot.id, 'available', 'snapshots');
    assert.equal(s.body.snapshot['os-extended-snapshot-attributes:progress'], '100%');
    const fromSnap = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { snapshot_id: s.body.snapshot.id } } })).body.volume;
    assert.equal(fromSnap.size, 1, 'size defaults to the snapshot size');
    assert.equal((await waitStatus(alice.token, alice.projectId, fromSnap.id, 'available')).body.volume.snapshot_id, s.body.snapshot.id);
    assert.equal((await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, source_volid: v.id } } })).status, 202);
    const smaller = await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, source_volid: (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 2 } } })).body.volume.id } } });
    assert.equal(smaller.status, 400);
    const hasSnapshots = await call('DELETE', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token });
    assert.equal(hasSnapshots.status, 400);
    assert.match(hasSnapshots.body.badRequest.message, /have snapshots/);
    const extend = await call('POST', v3(alice.projectId, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-extend': { new_size: 2 } } });
    assert.equal(extend.status, 202);
    await waitUntil(() => call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token }), (r) => r.body.volume.size === 2 && r.body.volume.status === 'available');
    assert.equal((await call('POST', v3(alice.projectId, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-extend': { new_size: 1 } } })).status, 400);
    assert.equal((await call('DELETE', v3(alice.projectId, `/volumes/${v.id}?cascade=true`), { token: alice.token })).status, 202);
    await waitUntil(() => call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token }), (r) => r.status === 404);
    assert.equal((await call('GET', v3(alice.projectId, `/snapshots/${s.body.snapshot.id}`), { token: alice.token })).status, 404);
  });

  test('attachments API (3.27+): reserve, connect, complete → in-use; delete refused with 400 while attached; delete attachment → available', async () => {
    const v = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1 } } })).body.volume;
    await waitStatus(alice.token, alice.projectId, v.id, 'available');
    const server = '1f5a9a72-5d2b-4c3d-9f29-4c0f9b0f3a11';
    const created = await call('POST', v3(alice.projectId, '/attachments'), { token: alice.token, version: '3.44', body: { attachment: { volume_uuid: v.id, instance_uuid: server } } });
    assert.equal(created.status, 200);
    assert.equal(created.body.attachment.status, 'reserved');
    assert.equal((await call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'reserved');
    const id = created.body.attachment.id;
    const updated = await call('PUT', v3(alice.projectId, `/attachments/${id}`), { token: alice.token, version: '3.44', body: { attachment: { connector: { host: 'compute-1', ip: '10.0.0.5', mountpoint: '/dev/vdb' } } } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.attachment.connection_info.driver_volume_type, 'fake');
    assert.equal(updated.body.attachment.connection_info.access_mode, 'rw');
    assert.equal((await call('POST', v3(alice.projectId, `/attachments/${id}/action`), { token: alice.token, version: '3.44', body: { 'os-complete': {} } })).status, 204);
    const inUse = (await call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token })).body.volume;
    assert.equal(inUse.status, 'in-use');
    assert.equal(inUse.attachments[0].server_id, server);
    assert.equal(inUse.attachments[0].attachment_id, id);
    assert.equal(inUse.attachments[0].host_name, null, 'host names are for admins and services');
    assert.match(inUse.attachments[0].attached_at, CINDER_TIME);
    const refused = await call('DELETE', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token });
    assert.equal(refused.status, 400, 'cinder answers InvalidVolume (400) for an attached volume');
    assert.equal((await call('POST', v3(alice.projectId, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: v.id } } })).status, 400, 'in-use needs force below 3.66');
    const deleted = await call('DELETE', v3(alice.projectId, `/attachments/${id}`), { token: alice.token, version: '3.44' });
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body.attachments, []);
    assert.equal((await call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'available');
  });

  test('legacy attach actions: reserve, initialize connection, attach, readonly, detach, terminate', async () => {
    const v = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1 } } })).body.volume;
    await waitStatus(alice.token, alice.projectId, v.id, 'available');
    const act = (body: object) => call('POST', v3(alice.projectId, `/volumes/${v.id}/action`), { token: alice.token, body });
    assert.equal((await act({ 'os-update_readonly_flag': { readonly: true } })).status, 202);
    assert.equal((await call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token })).body.volume.metadata.readonly, 'True');
    assert.equal((await act({ 'os-reserve': {} })).status, 202);
    assert.equal((await act({ 'os-reserve': {} })).status, 400, 'a reserved volume cannot be reserved again');
    const conn = await act({ 'os-initialize_connection': { connector: { host: 'compute-2' } } });
    assert.equal(conn.status, 200);
    assert.equal(conn.body.connection_info.data.access_mode, 'ro');
    assert.equal((await act({ 'os-attach': { instance_uuid: '2f5a9a72-5d2b-4c3d-9f29-4c0f9b0f3a11', mountpoint: '/dev/vdc', mode: 'rw' } })).status, 400, 'a readonly volume attaches ro only');
    assert.equal((await act({ 'os-attach': { instance_uuid: '2f5a9a72-5d2b-4c3d-9f29-4c0f9b0f3a11', mountpoint: '/dev/vdc', mode: 'ro' } })).status, 202);
    const attached = (await call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token })).body.volume;
    assert.equal(attached.status, 'in-use');
    assert.equal(attached.metadata.attached_mode, 'ro');
    assert.equal((await act({ 'os-begin_detaching': {} })).status, 202);
    assert.equal((await act({ 'os-roll_detaching': {} })).status, 202);
    assert.equal((await act({ 'os-detach': {} })).status, 202);
    assert.equal((await act({ 'os-terminate_connection': { connector: { host: 'compute-2' } } })).status, 202);
    assert.equal((await call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'available');
    assert.equal((await act({ 'os-bogus': {} })).status, 400);
    assert.equal((await call('POST', v3(alice.projectId, '/volumes/xxx/action'), { token: alice.token, body: { 'os-detach': {} } })).status, 404);
  });

  test('quota: 50 concurrent creates never exceed the limit; the 413s leave nothing; every granted volume becomes available', async () => {
    const c = await makeMember(tc.authUrl, admin, `bs-carol-${randomBytes(3).toString('hex')}`);
    const token = await c.token();
    assert.equal((await call('PUT', v3(adminProject, `/os-quota-sets/${c.projectId}`), { token: admin, body: { quota_set: { volumes: 20 } } })).status, 200);
    assert.equal((await call('PUT', v3(alice.projectId, `/os-quota-sets/${c.projectId}`), { token: alice.token, body: { quota_set: { volumes: 99 } } })).status, 403);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call('POST', v3(c.projectId, '/volumes'), { token, body: { volume: { size: 1, name: `q${i}` } } })));
    assert.equal(results.filter((r) => r.status === 202).length, 20);
    assert.equal(results.filter((r) => r.status === 413).length, 30);
    assert.match(results.find((r) => r.status === 413)?.body.overLimit.message ?? '', /Maximum number of volumes allowed \(20\) exceeded/);
    const listed = await waitUntil(() => call('GET', v3(c.projectId, '/volumes/detail'), { token }), (r) => r.body.volumes.every((x: { status: string }) => x.status === 'available'));
    assert.equal(listed.body.volumes.length, 20);
    const usage = (await call('GET', v3(adminProject, `/os-quota-sets/${c.projectId}?usage=true`), { token: admin })).body.quota_set;
    assert.deepEqual([usage.volumes.in_use, usage.volumes.limit, usage.gigabytes.in_use], [20, 20, 20]);
    const limits = (await call('GET', v3(c.projectId, '/limits'), { token })).body.limits.absolute;
    assert.equal(limits.totalVolumesUsed, 20);
    assert.equal(limits.maxTotalVolumes, 20);
    await Promise.all(listed.body.volumes.map((x: { id: string }) => call('DELETE', v3(c.projectId, `/volumes/${x.id}`), { token })));
    await waitUntil(() => call('GET', v3(adminProject, `/os-quota-sets/${c.projectId}?usage=true`), { token: admin }), (r) => r.body.quota_set.volumes.in_use === 0);
  });

  test('types: volume_backend_name steers placement; no backend → error with a message naming the filter', async () => {
    const type = await call('POST', v3(adminProject, '/types'), { token: admin, body: { volume_type: { name: `thin-${randomBytes(3).toString('hex')}`, extra_specs: { volume_backend_name: 'thin' } } } });
    assert.equal(type.status, 200);
    assert.equal(type.body.volume_type['os-volume-type-access:is_public'], true);
    const v = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, volume_type: type.body.volume_type.name } } })).body.volume;
    await waitStatus(alice.token, alice.projectId, v.id, 'available');
    assert.match((await call('GET', v3(adminProject, `/volumes/${v.id}`), { token: admin })).body.volume['os-vol-host-attr:host'], /@thin#thin$/);
    const nowhere = await call('POST', v3(adminProject, '/types'), { token: admin, body: { volume_type: { name: `nowhere-${randomBytes(3).toString('hex')}`, extra_specs: { volume_backend_name: 'lvm' } } } });
    const w = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1, volume_type: nowhere.body.volume_type.id } } })).body.volume;
    const failed = await waitStatus(alice.token, alice.projectId, w.id, 'error');
    assert.equal(failed.body.volume.status, 'error');
    const messages = await call('GET', v3(alice.projectId, `/messages?resource_uuid=${w.id}`), { token: alice.token, version: '3.3' });
    assert.match(messages.body.messages[0].user_message, /CapabilitiesFilter rejected 2/);
    assert.equal(messages.body.messages[0].resource_uuid, w.id);
    assert.equal((await call('DELETE', v3(adminProject, `/types/${nowhere.body.volume_type.id}`), { token: admin })).status, 400, 'a type in use cannot go');
    assert.equal((await call('POST', v3(alice.projectId, '/types'), { token: alice.token, body: { volume_type: { name: 'x' } } })).status, 403);
    const specs = await call('PUT', v3(adminProject, `/types/${type.body.volume_type.id}/extra_specs/volume_backend_name`), { token: admin, body: { volume_backend_name: 'thin' } });
    assert.deepEqual(specs.body, { volume_backend_name: 'thin' });
    const memberView = await call('GET', v3(alice.projectId, `/types/${type.body.volume_type.id}`), { token: alice.token });
    assert.deepEqual(memberView.body.volume_type.extra_specs, {}, 'members see only user-visible extra specs');
  });

  test('admin views: os-services up (and down once stale), pools, availability zones, reset status', async () => {
    const services = await call('GET', v3(adminProject, '/os-services'), { token: admin });
    const binaries = services.body.services.map((s: { binary: string }) => s.binary).sort();
    assert.deepEqual(binaries, ['cinder-scheduler', 'cinder-volume', 'cinder-volume']);
    assert.ok(services.body.services.every((s: { state: string; updated_at: string }) => s.state === 'up' && CINDER_TIME.test(s.updated_at)));
    assert.equal((await call('GET', v3(alice.projectId, '/os-services'), { token: alice.token })).status, 403);
    const pools = await call('GET', v3(adminProject, '/scheduler-stats/get_pools?detail=true'), { token: admin });
    assert.equal(pools.body.pools.length, 2);
    assert.ok(pools.body.pools[0].capabilities.total_capacity_gb > 0);
    assert.ok(['fake', 'thin'].includes(pools.body.pools[0].capabilities.volume_backend_name));
    const azs = await call('GET', v3(alice.projectId, '/os-availability-zone'), { token: alice.token });
    assert.deepEqual(azs.body.availabilityZoneInfo, [{ zoneName: 'nova', zoneState: { available: true } }]);
    const v = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1 } } })).body.volume;
    await waitStatus(alice.token, alice.projectId, v.id, 'available');
    assert.equal((await call('POST', v3(alice.projectId, `/volumes/${v.id}/action`), { token: alice.token, body: { 'os-reset_status': { status: 'error' } } })).status, 403);
    assert.equal((await call('POST', v3(adminProject, `/volumes/${v.id}/action`), { token: admin, body: { 'os-reset_status': { status: 'error' } } })).status, 202);
    assert.equal((await call('GET', v3(alice.projectId, `/volumes/${v.id}`), { token: alice.token })).body.volume.status, 'error');
    assert.equal((await call('POST', v3(adminProject, `/volumes/${v.id}/action`), { token: admin, body: { 'os-reset_status': { status: 'sideways' } } })).status, 400);
    // A backend that stops reporting goes down; the scheduler stops using it.
    await node.database.db.updateTable('services').set({ updated_at: '2000-01-01T00:00:00.000Z' }).where('binary', '=', 'cinder-volume').execute();
    const stale = await call('GET', v3(adminProject, '/os-services?binary=cinder-volume'), { token: admin });
    assert.ok(stale.body.services.every((s: { state: string }) => s.state === 'down'));
    const orphan = (await call('POST', v3(alice.projectId, '/volumes'), { token: alice.token, body: { volume: { size: 1 } } })).body.volume;
    const err = await waitStatus(alice.token, alice.projectId, orphan.id, 'error');
    assert.equal(err.body.volume.status, 'error');
    await node.volume.report();
    const back = await call('GET', v3(adminProject, '/os-services?binary=cinder-volume'), { token: admin });
    assert.ok(back.body.services.every((s: { state: string }) => s.state === 'up'));
  });
});
