import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestJson, endpointFor } from '@strata/clients';
import { startTestCloud, type TestCloud } from '@strata/testing';

/** Tests of nova in the all-in-one test cloud, against a real keystone, over HTTP. */
describe('compute service in the test cloud', () => {
  let tc: TestCloud;
  let base: string;
  let admin: string;
  let imageRef: string;
  let network: string | undefined;
  let member: { token: string; projectId: string };

  const call = async <T = any>(token: string, path: string, opts: { method?: string; body?: unknown; version?: string } = {}): Promise<{ status: number; body: T; headers: Headers }> => {
    const res = await fetch(`${base}${path}`, {
      method: opts.method ?? 'GET',
      headers: { 'x-auth-token': token, 'content-type': 'application/json', ...(opts.version !== undefined ? { 'openstack-api-version': `compute ${opts.version}` } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: res.headers };
  };
  const waitFor = async (token: string, id: string, statuses: string[]): Promise<any> => {
    for (let n = 0; n < 400; n++) {
      const r = await call(token, `/servers/${id}`, { version: '2.47' });
      if (r.status === 404 && statuses.includes('DELETED')) return undefined;
      if (statuses.includes(r.body?.server?.status)) return r.body.server;
      await sleep(25);
    }
    throw new Error(`server ${id} never reached ${statuses.join('/')}`);
  };
  const boot = (token: string, name: string, extra: Record<string, unknown> = {}, version = '2.37'): Promise<{ status: number; body: any }> =>
    call(token, '/servers', { method: 'POST', version, body: { server: { name, imageRef, flavorRef: '1', networks: network === undefined || token !== admin ? 'none' : [{ uuid: network }], ...extra } } });

  before(async () => {
    tc = await startTestCloud();
    base = `${tc.cloud.urls.compute}/v2.1`;
    admin = await tc.adminToken();
    const issued = await tc.identity.authenticate(tc.admin);
    const imageUrl = endpointFor(issued.body, 'image');
    imageRef = randomUUID();
    if (imageUrl !== undefined) {
      const imgs = await requestJson<{ images: Array<{ id: string; status: string }> }>(`${imageUrl.replace(/\/$/, '')}/v2/images`, { headers: { 'x-auth-token': admin } });
      const active = imgs.body.images.find((i) => i.status === 'active');
      if (active !== undefined) imageRef = active.id;
      else {
        const img = await requestJson<{ id: string }>(`${imageUrl.replace(/\/$/, '')}/v2/images`, { method: 'POST', headers: { 'x-auth-token': admin }, body: { name: 'nova-test', disk_format: 'raw', container_format: 'bare', visibility: 'public' } });
        const put = await fetch(`${imageUrl.replace(/\/$/, '')}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { 'x-auth-token': admin, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096, 7) });
        assert.ok(put.ok, `image upload: ${put.status}`);
        imageRef = img.body.id;
      }
    }
    const netUrl = endpointFor(issued.body, 'network');
    if (netUrl !== undefined) {
      const nets = await requestJson<{ networks: Array<{ id: string; 'router:external': boolean }> }>(`${netUrl.replace(/\/$/, '')}/v2.0/networks`, { headers: { 'x-auth-token': admin } });
      network = nets.body.networks.find((n) => !n['router:external'])?.id;
    }
    // A member of another project.
    const h = { 'x-auth-token': admin };
    const p = await requestJson<{ project: { id: string } }>(`${tc.authUrl}/projects`, { method: 'POST', headers: h, body: { project: { name: 'nova-member' } } });
    const u = await requestJson<{ user: { id: string } }>(`${tc.authUrl}/users`, { method: 'POST', headers: h, body: { user: { name: 'nova-member', password: 'pw-nova-member' } } });
    const roles = await requestJson<{ roles: Array<{ id: string }> }>(`${tc.authUrl}/roles?name=member`, { headers: h });
    await requestJson(`${tc.authUrl}/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roles.body.roles[0]?.id}`, { method: 'PUT', headers: h });
    member = { token: (await tc.identity.authenticate({ username: 'nova-member', password: 'pw-nova-member', projectName: 'nova-member' })).id, projectId: p.body.project.id };
  });
  after(async () => {
    await tc?.close();
  });

  test('version discovery and microversion negotiation (headers echoed, 406 out of range, 2.1 by default)', async () => {
    const root = await requestJson<any>(`${tc.cloud.urls.compute}/`);
    const v21 = root.body.versions.find((v: any) => v.id === 'v2.1');
    assert.equal(v21.status, 'CURRENT');
    assert.equal(v21.min_version, '2.1');
    assert.match(v21.version, /^2\.\d+$/);
    assert.equal((await requestJson<any>(`${base}`)).body.version.id, 'v2.1');
    const none = await call(admin, '/flavors');
    assert.equal(none.headers.get('openstack-api-version'), 'compute 2.1');
    assert.equal(none.headers.get('x-openstack-nova-api-version'), '2.1');
    assert.match(String(none.headers.get('vary')), /OpenStack-API-Version/);
    const latest = await call(admin, '/flavors', { version: 'latest' });
    assert.equal(latest.headers.get('x-openstack-nova-api-version'), v21.version);
    const bad = await call(admin, '/flavors', { version: '2.999' });
    assert.equal(bad.status, 406);
    assert.ok(bad.body.notAcceptable);
    assert.equal((await fetch(`${base}/servers`)).status, 401);
  });

  test('seeded flavors, flavor management, extra specs and private access', async () => {
    const list = await call(admin, '/flavors/detail');
    assert.deepEqual(list.body.flavors.slice(0, 5).map((f: any) => f.name), ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge']);
    assert.equal(list.body.flavors[0].ram, 512);
    const created = await call(admin, '/flavors', { method: 'POST', body: { flavor: { name: 'private.1', ram: 256, vcpus: 1, disk: 1, id: 'priv-1', 'os-flavor-access:is_public': false } } });
    assert.equal(created.status, 200);
    assert.equal((await call(member.token, '/flavors/detail')).body.flavors.some((f: any) => f.id === 'priv-1'), false);
    await call(admin, '/flavors/priv-1/action', { method: 'POST', body: { addTenantAccess: { tenant: member.projectId } } });
    assert.equal((await call(member.token, '/flavors/detail')).body.flavors.some((f: any) => f.id === 'priv-1'), true);
    const specs = await call(admin, '/flavors/priv-1/os-extra_specs', { method: 'POST', body: { extra_specs: { 'hw:cpu_policy': 'shared' } } });
    assert.deepEqual(specs.body, { extra_specs: { 'hw:cpu_policy': 'shared' } });
    assert.equal((await call(member.token, '/flavors', { method: 'POST', body: { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1 } } })).status, 403);
    assert.equal((await call(admin, '/flavors/nope')).status, 404);
  });

  test('keypairs: generate, import, list wrapping, show, delete', async () => {
    const gen = await call(admin, '/os-keypairs', { method: 'POST', version: '2.2', body: { keypair: { name: 'k1' } } });
    assert.equal(gen.status, 201);
    assert.match(gen.body.keypair.private_key, /BEGIN RSA PRIVATE KEY/);
    assert.match(gen.body.keypair.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const imp = await call(admin, '/os-keypairs', { method: 'POST', body: { keypair: { name: 'k2', public_key: gen.body.keypair.public_key } } });
    assert.equal(imp.status, 200);
    assert.equal(imp.body.keypair.fingerprint, gen.body.keypair.fingerprint);
    const list = await call(admin, '/os-keypairs');
    assert.deepEqual(list.body.keypairs.map((k: any) => k.keypair.name), ['k1', 'k2']);
    assert.equal((await call(admin, '/os-keypairs', { method: 'POST', body: { keypair: { name: 'k2' } } })).status, 409);
    assert.equal((await call(admin, '/os-keypairs', { method: 'POST', body: { keypair: { name: 'bad', public_key: 'ssh-rsa nope' } } })).status, 400);
    assert.equal((await call(admin, '/os-keypairs/k2')).body.keypair.name, 'k2');
    assert.equal((await call(admin, '/os-keypairs/k2', { method: 'DELETE' })).status, 202);
    assert.equal((await call(admin, '/os-keypairs/k2')).status, 404);
  });

  test('server create → ACTIVE with the 51-step trace recorded as action events; show, list, update, delete', async () => {
    const created = await boot(admin, 'vm-flow', { metadata: { role: 'test' }, key_name: 'k1' });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.server.id;
    assert.equal(created.body.server['OS-DCF:diskConfig'], 'MANUAL');
    const s = await waitFor(admin, id, ['ACTIVE', 'ERROR']);
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault));
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.match(s.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(s['OS-SRV-USG:launched_at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(s.flavor.original_name, 'm1.tiny');
    assert.equal(s.key_name, 'k1');
    assert.ok(s['OS-EXT-SRV-ATTR:host']);
    const actions = await call(admin, `/servers/${id}/os-instance-actions`);
    const create = actions.body.instanceActions.find((a: any) => a.action === 'create');
    assert.ok(create);
    const detail = await call(admin, `/servers/${id}/os-instance-actions/${create.request_id}`);
    const events = detail.body.instanceAction.events.map((e: any) => e.event);
    assert.ok(events.includes('compute_build_and_run_instance'));
    const trace = await call(admin, `/servers/${id}/strata-trace`);
    const steps = new Set(trace.body.trace.steps.map((x: any) => x.step));
    for (const n of [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 51]) assert.ok(steps.has(n), `step ${n} recorded`);

    const idx = await call(admin, '/servers?name=^vm-flow$');
    assert.deepEqual(idx.body.servers.map((x: any) => x.id), [id]);
    assert.equal((await call(admin, '/servers/detail?status=ACTIVE')).body.servers.some((x: any) => x.id === id), true);
    assert.equal((await call(admin, '/servers/detail?status=SHUTOFF')).body.servers.some((x: any) => x.id === id), false);
    const upd = await call(admin, `/servers/${id}`, { method: 'PUT', version: '2.19', body: { server: { name: 'vm-flow-2', description: 'renamed' } } });
    assert.equal(upd.body.server.name, 'vm-flow-2');
    assert.equal(upd.body.server.description, 'renamed');
    assert.equal((await call(member.token, `/servers/${id}`)).status, 404, "another project's server is a 404");

    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', body: { 'os-stop': null } })).status, 202);
    assert.equal((await waitFor(admin, id, ['SHUTOFF']))['OS-EXT-STS:power_state'], 4);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', body: { 'os-stop': null } })).status, 409);
    await call(admin, `/servers/${id}/action`, { method: 'POST', body: { 'os-start': null } });
    await waitFor(admin, id, ['ACTIVE']);
    await call(admin, `/servers/${id}/action`, { method: 'POST', body: { reboot: { type: 'HARD' } } });
    await waitFor(admin, id, ['ACTIVE']);
    await call(admin, `/servers/${id}/action`, { method: 'POST', body: { pause: null } });
    await waitFor(admin, id, ['PAUSED']);
    await call(admin, `/servers/${id}/action`, { method: 'POST', body: { unpause: null } });
    await waitFor(admin, id, ['ACTIVE']);
    const out = await call(admin, `/servers/${id}/action`, { method: 'POST', body: { 'os-getConsoleOutput': { length: 5 } } });
    const lines = String(out.body.output).split('\n');
    assert.ok(lines.length > 0 && lines.length <= 5 && String(out.body.output).trim() !== '', 'the last 5 lines of the console');
    await call(admin, `/servers/${id}/action`, { method: 'POST', body: { lock: null } });
    assert.equal((await call(admin, `/servers/${id}`, { version: '2.9' })).body.server.locked, true);
    await call(admin, `/servers/${id}/action`, { method: 'POST', body: { unlock: null } });
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', body: { resize: { flavorRef: '2' } } })).status, 202);
    assert.equal((await waitFor(admin, id, ['VERIFY_RESIZE'])).flavor.original_name, 'm1.small');
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', body: { confirmResize: null } })).status, 204);
    await waitFor(admin, id, ['ACTIVE']);
    assert.equal((await call(admin, `/servers/${id}`, { method: 'DELETE' })).status, 204);
    await waitFor(admin, id, ['DELETED']);
    const hyp = await call(admin, '/os-hypervisors/statistics');
    assert.equal(hyp.body.hypervisor_statistics.running_vms, 0, 'claims released on delete');
  });

  test('bad input: unknown flavor and image are 400, bad networks 400, 2.37 needs networks', async () => {
    assert.equal((await boot(admin, 'x', { flavorRef: 'nope' })).status, 400);
    assert.equal((await call(admin, '/servers', { method: 'POST', version: '2.37', body: { server: { name: 'x', imageRef, flavorRef: '1' } } })).status, 400);
    assert.equal((await call(admin, '/servers', { method: 'POST', version: '2.37', body: { server: { name: 'x', imageRef, flavorRef: '1', networks: [{ uuid: 'not-a-uuid' }] } } })).status, 400);
    assert.equal((await call(admin, '/servers', { method: 'POST', body: { server: { imageRef, flavorRef: '1' } } })).status, 400);
    assert.equal((await call(admin, '/servers', { method: 'POST', body: { server: { name: 'x', imageRef, flavorRef: '1', bogus: 1 } } })).status, 400);
  });

  test('no valid host: ERROR with a fault naming the filter', async () => {
    await call(admin, '/flavors', { method: 'POST', body: { flavor: { name: 'huge', ram: 100_000_000, vcpus: 1, disk: 1, id: 'huge' } } });
    await call(admin, `/os-quota-sets/${(await tc.identity.authenticate(tc.admin)).body.project?.id}`, { method: 'PUT', body: { quota_set: { ram: -1 } } });
    const c = await boot(admin, 'too-big', { flavorRef: 'huge' });
    assert.equal(c.status, 202, JSON.stringify(c.body));
    const s = await waitFor(admin, c.body.server.id, ['ERROR', 'ACTIVE']);
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.code, 500);
    assert.match(s.fault.message, /No valid host/);
    assert.match(s.fault.details, /RamFilter rejected 1/);
    assert.equal((await call(admin, `/servers/${c.body.server.id}`, { method: 'DELETE' })).status, 204);
    await waitFor(admin, c.body.server.id, ['DELETED']);
  });

  test('quota: 20 concurrent creates against a quota of 5 → exactly 5 accepted, the rest 403', async () => {
    await call(admin, `/os-quota-sets/${member.projectId}`, { method: 'PUT', body: { quota_set: { instances: 5 } } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => boot(member.token, `q-${n}`)));
    const ok = results.filter((r) => r.status === 202);
    assert.equal(ok.length, 5);
    assert.ok(results.filter((r) => r.status === 403).every((r) => /Quota exceeded for instances/.test(r.body.forbidden.message)));
    const detail = await call(member.token, `/os-quota-sets/${member.projectId}/detail`);
    assert.equal(detail.body.quota_set.instances.in_use, 5);
    const limits = await call(member.token, '/limits');
    assert.equal(limits.body.limits.absolute.totalInstancesUsed, 5);
    for (const r of ok) await call(member.token, `/servers/${r.body.server.id}`, { method: 'DELETE' });
    for (const r of ok) await waitFor(member.token, r.body.server.id, ['DELETED']);
    assert.equal((await call(member.token, `/os-quota-sets/${member.projectId}/detail`)).body.quota_set.instances.in_use, 0);
  });

  test('admin views: services, hypervisors, availability zones, and 403 for members', async () => {
    const services = await call(admin, '/os-services');
    assert.deepEqual(new Set(services.body.services.map((s: any) => s.binary)), new Set(['nova-scheduler', 'nova-conductor', 'nova-compute']));
    assert.ok(services.body.services.every((s: any) => s.state === 'up' && s.status === 'enabled'));
    const hyp = await call(admin, '/os-hypervisors/detail', { version: '2.53' });
    assert.match(hyp.body.hypervisors[0].id, /^[0-9a-f-]{36}$/);
    assert.equal(hyp.body.hypervisors[0].hypervisor_type, 'fake');
    const az = await call(member.token, '/os-availability-zone');
    assert.deepEqual(az.body.availabilityZoneInfo.map((z: any) => z.zoneName), ['nova']);
    assert.equal((await call(member.token, '/os-services')).status, 403);
    assert.equal((await call(member.token, '/os-hypervisors')).status, 403);
  });

  test('server groups: anti-affinity on one host → the second server has no valid host', async () => {
    const g = await call(admin, '/os-server-groups', { method: 'POST', body: { server_group: { name: 'ga', policies: ['anti-affinity'] } } });
    assert.equal(g.status, 200);
    const a = await call(admin, '/servers', { method: 'POST', version: '2.37', body: { server: { name: 'ga-1', imageRef, flavorRef: '1', networks: 'none' }, 'os:scheduler_hints': { group: g.body.server_group.id } } });
    await waitFor(admin, a.body.server.id, ['ACTIVE']);
    const b = await call(admin, '/servers', { method: 'POST', version: '2.37', body: { server: { name: 'ga-2', imageRef, flavorRef: '1', networks: 'none' }, 'os:scheduler_hints': { group: g.body.server_group.id } } });
    const sb = await waitFor(admin, b.body.server.id, ['ACTIVE', 'ERROR']);
    assert.equal(sb.status, 'ERROR');
    assert.match(sb.fault.details, /ServerGroupAntiAffinityFilter rejected 1/);
    assert.deepEqual((await call(admin, `/os-server-groups/${g.body.server_group.id}`)).body.server_group.members.sort(), [a.body.server.id, b.body.server.id].sort());
    for (const s of [a, b]) await call(admin, `/servers/${s.body.server.id}`, { method: 'DELETE' });
  });

  test('tags (2.26) and metadata', async () => {
    const c = await boot(admin, 'tagged', { tags: ['a', 'b'] }, '2.52');
    const id = c.body.server.id;
    await waitFor(admin, id, ['ACTIVE']);
    assert.deepEqual((await call(admin, `/servers/${id}/tags`, { version: '2.26' })).body.tags, ['a', 'b']);
    assert.equal((await call(admin, `/servers/${id}/tags/c`, { method: 'PUT', version: '2.26' })).status, 201);
    assert.equal((await call(admin, `/servers/${id}/tags`, { version: '2.1' })).status, 404);
    assert.deepEqual((await call(admin, '/servers?tags=c', { version: '2.26' })).body.servers.map((s: any) => s.id), [id]);
    await call(admin, `/servers/${id}/metadata`, { method: 'POST', body: { metadata: { x: '1' } } });
    assert.deepEqual((await call(admin, `/servers/${id}/metadata/x`)).body, { meta: { x: '1' } });
    await call(admin, `/servers/${id}`, { method: 'DELETE' });
  });
});
