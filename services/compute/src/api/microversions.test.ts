import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestJson, endpointFor } from '@strata/clients';
import { startTestCloud, type TestCloud } from '@strata/testing';

/** The compute API from 2.61 to 2.96 and its bad-input answers, over HTTP against the test cloud. */
describe('compute microversions 2.61–2.96', () => {
  let tc: TestCloud;
  let base: string;
  let admin: string;
  let imageUrl: string | undefined;
  let imageRef: string;
  let member: { token: string; projectId: string };

  const call = async <T = any>(token: string, path: string, opts: { method?: string; body?: unknown; version?: string } = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, {
      method: opts.method ?? 'GET',
      headers: { 'x-auth-token': token, 'content-type': 'application/json', ...(opts.version !== undefined ? { 'openstack-api-version': `compute ${opts.version}` } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
  const waitFor = async (token: string, id: string, statuses: string[]): Promise<any> => {
    for (let n = 0; n < 400; n++) {
      const r = await call(token, `/servers/${id}`, { version: '2.96' });
      if (r.status === 404 && statuses.includes('DELETED')) return undefined;
      if (statuses.includes(r.body?.server?.status)) return r.body.server;
      await sleep(25);
    }
    throw new Error(`server ${id} never reached ${statuses.join('/')}`);
  };
  const boot = (token: string, server: Record<string, unknown>, version = '2.96'): Promise<{ status: number; body: any }> =>
    call(token, '/servers', { method: 'POST', version, body: { server: { name: 'mv', imageRef, flavorRef: '1', networks: 'none', ...server } } });

  before(async () => {
    tc = await startTestCloud();
    base = `${tc.cloud.urls.compute}/v2.1`;
    admin = await tc.adminToken();
    const issued = await tc.identity.authenticate(tc.admin);
    imageUrl = endpointFor(issued.body, 'image')?.replace(/\/$/, '');
    imageRef = randomUUID();
    if (imageUrl !== undefined) {
      const imgs = await requestJson<{ images: Array<{ id: string; status: string }> }>(`${imageUrl}/v2/images`, { headers: { 'x-auth-token': admin } });
      const active = imgs.body.images.find((i) => i.status === 'active');
      if (active !== undefined) imageRef = active.id;
      else {
        const img = await requestJson<{ id: string }>(`${imageUrl}/v2/images`, { method: 'POST', headers: { 'x-auth-token': admin }, body: { name: 'mv-image', disk_format: 'raw', container_format: 'bare', visibility: 'public' } });
        const put = await fetch(`${imageUrl}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { 'x-auth-token': admin, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096, 7) });
        assert.ok(put.ok, `image upload: ${put.status}`);
        imageRef = img.body.id;
      }
    }
    const h = { 'x-auth-token': admin };
    const p = await requestJson<{ project: { id: string } }>(`${tc.authUrl}/projects`, { method: 'POST', headers: h, body: { project: { name: 'mv-member' } } });
    const u = await requestJson<{ user: { id: string } }>(`${tc.authUrl}/users`, { method: 'POST', headers: h, body: { user: { name: 'mv-member', password: 'pw-mv-member' } } });
    const roles = await requestJson<{ roles: Array<{ id: string }> }>(`${tc.authUrl}/roles?name=member`, { headers: h });
    await requestJson(`${tc.authUrl}/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roles.body.roles[0]?.id}`, { method: 'PUT', headers: h });
    member = { token: (await tc.identity.authenticate({ username: 'mv-member', password: 'pw-mv-member', projectName: 'mv-member' })).id, projectId: p.body.project.id };
  });
  after(async () => {
    await tc?.close();
  });

  test('2.96 is advertised; 2.97 is 406, a malformed version 400, no header 2.1', async () => {
    const root = await requestJson<any>(`${tc.cloud.urls.compute}/`);
    assert.equal(root.body.versions.find((v: any) => v.id === 'v2.1').version, '2.96');
    assert.equal((await call(admin, '/flavors', { version: '2.97' })).status, 406);
    assert.equal((await call(admin, '/flavors', { version: '2.x' })).status, 400);
    assert.equal((await call(admin, '/flavors/1')).body.flavor.extra_specs, undefined, '2.1 without a header');
  });

  test('bad input: unknown image/flavor/network 400, flavor too small 400, over quota 403, foreign server 404', async () => {
    const noImage = await boot(admin, { imageRef: randomUUID() });
    assert.equal(noImage.status, 400);
    assert.match(noImage.body.badRequest.message, /Image .* could not be found/);
    const noFlavor = await boot(admin, { flavorRef: 'no-such-flavor' });
    assert.equal(noFlavor.status, 400);
    assert.match(noFlavor.body.badRequest.message, /Flavor no-such-flavor could not be found/);
    const noNet = await boot(admin, { networks: [{ uuid: randomUUID() }] });
    assert.equal(noNet.status, 400);
    assert.match(noNet.body.badRequest.message, /Network .* could not be found/);
    if (imageUrl !== undefined) {
      const img = await requestJson<{ id: string }>(`${imageUrl}/v2/images`, { method: 'POST', headers: { 'x-auth-token': admin }, body: { name: 'mv-big', disk_format: 'raw', container_format: 'bare', min_disk: 500, visibility: 'public' } });
      await fetch(`${imageUrl}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { 'x-auth-token': admin, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024, 1) });
      const small = await boot(admin, { imageRef: img.body.id });
      assert.equal(small.status, 400);
      assert.match(small.body.badRequest.message, /Flavor's disk is too small for requested image/);
    }
    await call(admin, `/os-quota-sets/${member.projectId}`, { method: 'PUT', body: { quota_set: { instances: 0 } } });
    const over = await boot(member.token, {});
    assert.equal(over.status, 403);
    assert.match(over.body.forbidden.message, /Quota exceeded for instances/);
    await call(admin, `/os-quota-sets/${member.projectId}`, { method: 'PUT', body: { quota_set: { instances: 10 } } });
    const mine = await boot(admin, { name: 'not-yours' });
    assert.equal(mine.status, 202);
    assert.equal((await call(member.token, `/servers/${mine.body.server.id}`, { version: '2.96' })).status, 404);
    assert.equal((await call(member.token, `/servers/${mine.body.server.id}/action`, { method: 'POST', body: { 'os-stop': null } })).status, 404);
    await call(admin, `/servers/${mine.body.server.id}`, { method: 'DELETE' });
  });

  test('servers at 2.96: hostname, trusted certs, server_groups, locked_reason, pinned AZ; 2.75 update and rebuild bodies', async () => {
    const g = await call(admin, '/os-server-groups', { method: 'POST', version: '2.64', body: { server_group: { name: 'mv-g', policy: 'soft-affinity' } } });
    assert.equal(g.status, 200);
    assert.equal(g.body.server_group.policy, 'soft-affinity');
    assert.deepEqual(g.body.server_group.rules, {});
    assert.equal(g.body.server_group.policies, undefined);
    const c = await call(admin, '/servers', {
      method: 'POST',
      version: '2.96',
      body: { server: { name: 'mv-host', imageRef, flavorRef: '1', networks: 'none', hostname: 'web-1.example.org', trusted_image_certificates: ['cert-a'], availability_zone: 'nova' }, 'os:scheduler_hints': { group: g.body.server_group.id } },
    });
    assert.equal(c.status, 202, JSON.stringify(c.body));
    const id = c.body.server.id;
    const s = await waitFor(admin, id, ['ACTIVE', 'ERROR']);
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-SRV-ATTR:hostname'], 'web-1.example.org');
    assert.deepEqual(s.trusted_image_certificates, ['cert-a']);
    assert.deepEqual(s.server_groups, [g.body.server_group.id]);
    assert.equal(s.locked_reason, null);
    assert.equal(s.pinned_availability_zone, 'nova');
    // 2.90 hostname is one label; 2.94 allows an FQDN.
    assert.equal((await boot(admin, { hostname: 'a.b' }, '2.90')).status, 400);
    assert.equal((await boot(admin, { hostname: 'x' }, '2.89')).status, 400);
    // Detail list: no server_groups (show only), but the 2.63/2.73/2.96 fields.
    const detail = (await call(admin, '/servers/detail', { version: '2.96' })).body.servers.find((x: any) => x.id === id);
    assert.equal(detail.server_groups, undefined);
    assert.deepEqual(detail.trusted_image_certificates, ['cert-a']);
    assert.ok('pinned_availability_zone' in detail);
    // Lock with a reason (2.73) and the locked filter.
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.73', body: { lock: { locked_reason: 'maintenance' } } })).status, 202);
    assert.equal((await call(admin, `/servers/${id}`, { version: '2.73' })).body.server.locked_reason, 'maintenance');
    assert.ok((await call(admin, '/servers?locked=true', { version: '2.73' })).body.servers.some((x: any) => x.id === id));
    assert.ok(!(await call(admin, '/servers?locked=false', { version: '2.73' })).body.servers.some((x: any) => x.id === id));
    assert.equal((await call(admin, '/servers?locked=maybe', { version: '2.73' })).status, 400);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.73', body: { lock: { bogus: 1 } } })).status, 400);
    await call(admin, `/servers/${id}/action`, { method: 'POST', body: { unlock: null } });
    // 2.75: PUT answers with the whole server; 2.90 hostname update.
    const upd = await call(admin, `/servers/${id}`, { method: 'PUT', version: '2.90', body: { server: { hostname: 'web-2' } } });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.server['OS-EXT-SRV-ATTR:hostname'], 'web-2');
    assert.ok('OS-EXT-STS:vm_state' in upd.body.server && 'os-extended-volumes:volumes_attached' in upd.body.server);
    assert.equal((await call(admin, `/servers/${id}`, { method: 'PUT', version: '2.89', body: { server: { hostname: 'web-3' } } })).status, 400);
    const old = await call(admin, `/servers/${id}`, { method: 'PUT', version: '2.74', body: { server: { name: 'mv-host' } } });
    assert.equal(old.body.server['OS-EXT-STS:vm_state'], undefined, 'before 2.75 the reduced view');
    // Rebuild (2.75): the full server with user_data and without OS-EXT-SRV-ATTR:user_data.
    const rb = await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.96', body: { rebuild: { imageRef, hostname: 'web-4' } } });
    assert.equal(rb.status, 202, JSON.stringify(rb.body));
    assert.ok('user_data' in rb.body.server && !('OS-EXT-SRV-ATTR:user_data' in rb.body.server));
    assert.ok(typeof rb.body.server.adminPass === 'string');
    assert.deepEqual(rb.body.server.server_groups, [g.body.server_group.id]);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.96', body: { rebuild: { imageRef, bogus: 1 } } })).status, 400);
    await waitFor(admin, id, ['ACTIVE']);
    // Topology (2.78), server migrations, live migration / evacuate / migrate on a one-host cloud.
    assert.deepEqual((await call(admin, `/servers/${id}/topology`, { version: '2.78' })).body, { nodes: [], pagesize_kb: null });
    assert.equal((await call(admin, `/servers/${id}/topology`, { version: '2.77' })).status, 404);
    assert.deepEqual((await call(admin, `/servers/${id}/migrations`, { version: '2.80' })).body, { migrations: [] });
    assert.equal((await call(admin, `/servers/${id}/migrations/1`, { method: 'DELETE', version: '2.65' })).status, 409);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.68', body: { 'os-migrateLive': { block_migration: 'auto', host: null, force: true } } })).status, 400, 'no force from 2.68');
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.68', body: { 'os-migrateLive': { block_migration: 'auto', host: 'no-such-host' } } })).status, 400);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.96', body: { evacuate: {} } })).status, 400, 'the compute service is still up');
    const mig = await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.56', body: { migrate: null } });
    assert.equal(mig.status, 400);
    assert.match(mig.body.badRequest.message, /No valid host/);
    assert.equal((await call(member.token, `/servers/${id}/action`, { method: 'POST', body: { migrate: null } })).status, 404);
    // Instance action events: hostId (2.62) and details (2.84).
    const acts = (await call(admin, `/servers/${id}/os-instance-actions`, { version: '2.84' })).body.instanceActions;
    const create = acts.find((a: any) => a.action === 'create');
    const ev = (await call(admin, `/servers/${id}/os-instance-actions/${create.request_id}`, { version: '2.84' })).body.instanceAction.events[0];
    assert.match(ev.hostId, /^[0-9a-f]{56}$|^$/);
    assert.ok('details' in ev && 'host' in ev);
    assert.equal((await call(admin, `/servers/${id}/os-instance-actions?changes-since=2030-01-01T00:00:00Z&changes-before=2020-01-01T00:00:00Z`, { version: '2.66' })).status, 400);
    // Unshelve to an AZ needs a SHELVED_OFFLOADED server (2.77), and a known zone.
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.77', body: { unshelve: { availability_zone: 'nowhere' } } })).status, 400);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.77', body: { unshelve: { availability_zone: 'nova' } } })).status, 409);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.90', body: { unshelve: { host: 'x' } } })).status, 400);
    assert.equal((await call(admin, `/servers/${id}`, { method: 'DELETE' })).status, 204);
    await waitFor(admin, id, ['DELETED']);
  });

  test('volume-backed servers: rebuild to another image only from 2.93, rescue only from 2.87', async () => {
    const c = await call(admin, '/servers', {
      method: 'POST',
      version: '2.96',
      body: { server: { name: 'mv-bfv', flavorRef: '1', networks: 'none', block_device_mapping_v2: [{ boot_index: 0, source_type: 'image', destination_type: 'volume', uuid: imageRef, volume_size: 1, delete_on_termination: true }] } },
    });
    assert.equal(c.status, 202, JSON.stringify(c.body));
    const id = c.body.server.id;
    const s = await waitFor(admin, id, ['ACTIVE', 'ERROR']);
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault));
    assert.equal(s.image, '');
    const other = randomUUID();
    const before = await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.92', body: { rebuild: { imageRef: other } } });
    assert.equal(before.status, 400);
    assert.match(before.body.badRequest.message, /Unable to rebuild with a different image for a volume-backed server/);
    assert.equal((await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.86', body: { rescue: null } })).status, 400);
    const rb = await call(admin, `/servers/${id}/action`, { method: 'POST', version: '2.93', body: { rebuild: { imageRef } } });
    assert.equal(rb.status, 202, JSON.stringify(rb.body));
    assert.equal(rb.body.server.image, '', 'a volume-backed server keeps an empty image');
    await waitFor(admin, id, ['ACTIVE', 'ERROR']);
    assert.equal((await call(admin, `/servers/${id}`, { method: 'DELETE' })).status, 204);
    await waitFor(admin, id, ['DELETED']);
  });

  test('paging: limit and marker in the database, next links, 400 for an unknown marker', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await boot(member.token, { name: `page-${n}` })).body.server.id);
    const all = (await call(member.token, '/servers')).body.servers.map((x: any) => x.id);
    assert.deepEqual([...all].sort(), [...ids].sort());
    const first = await call(member.token, '/servers/detail?limit=2');
    assert.deepEqual(first.body.servers.map((x: any) => x.id), all.slice(0, 2));
    const next = new URL(first.body.servers_links[0].href);
    assert.equal(next.searchParams.get('marker'), all[1]);
    const second = await call(member.token, `/servers/detail?limit=2&marker=${all[1]}`);
    assert.deepEqual(second.body.servers.map((x: any) => x.id), all.slice(2, 4));
    assert.deepEqual((await call(member.token, `/servers?marker=${all[3]}`)).body.servers.map((x: any) => x.id), all.slice(4));
    assert.equal((await call(member.token, `/servers?marker=${randomUUID()}`)).status, 400);
    assert.equal((await call(member.token, '/servers?limit=x')).status, 400);
    // With a filter applied in memory the same pages come out.
    assert.deepEqual((await call(member.token, `/servers?name=page&limit=2&marker=${all[1]}`)).body.servers.map((x: any) => x.id), all.slice(2, 4));
    for (const id of ids) await call(member.token, `/servers/${id}`, { method: 'DELETE' });
  });

  test('flavors (2.61 extra_specs, 2.75 swap 0, 2.86 validation), keypairs (2.92), hypervisors (2.88), services (2.75), groups (2.64)', async () => {
    const f = await call(admin, '/flavors', { method: 'POST', version: '2.61', body: { flavor: { name: 'mv.f', ram: 64, vcpus: 1, disk: 1, id: 'mv-f' } } });
    assert.deepEqual(f.body.flavor.extra_specs, {});
    assert.equal(f.body.flavor.swap, '');
    assert.equal((await call(admin, '/flavors/mv-f', { version: '2.75' })).body.flavor.swap, 0);
    assert.equal((await call(admin, '/flavors/mv-f/os-extra_specs', { method: 'POST', version: '2.86', body: { extra_specs: { 'hw:cpu_policy': 'shared', 'foo:bar': 'baz' } } })).status, 200);
    assert.equal((await call(admin, '/flavors/mv-f/os-extra_specs', { method: 'POST', version: '2.86', body: { extra_specs: { 'hw:cpu_policy': 'sometimes' } } })).status, 400);
    assert.equal((await call(admin, '/flavors/mv-f/os-extra_specs', { method: 'POST', version: '2.86', body: { extra_specs: { 'hw:no_such_thing': '1' } } })).status, 400);
    assert.equal((await call(admin, '/flavors/mv-f/os-extra_specs', { method: 'POST', version: '2.85', body: { extra_specs: { 'hw:no_such_thing': '1' } } })).status, 200);
    assert.deepEqual((await call(admin, '/flavors/detail', { version: '2.61' })).body.flavors.find((x: any) => x.id === 'mv-f').extra_specs, { 'hw:cpu_policy': 'shared', 'foo:bar': 'baz', 'hw:no_such_thing': '1' });
    assert.equal((await call(admin, '/os-keypairs', { method: 'POST', version: '2.92', body: { keypair: { name: 'gen' } } })).status, 400);
    assert.equal((await call(admin, '/os-keypairs', { method: 'POST', version: '2.91', body: { keypair: { name: 'gen' } } })).status, 201);
    const pub = (await call(admin, '/os-keypairs/gen')).body.keypair.public_key;
    assert.equal((await call(admin, '/os-keypairs', { method: 'POST', version: '2.92', body: { keypair: { name: 'me@host.example', public_key: pub } } })).status, 201);
    assert.equal((await call(admin, '/os-hypervisors/statistics', { version: '2.88' })).status, 404);
    assert.equal((await call(admin, '/os-hypervisors/statistics', { version: '2.87' })).status, 200);
    const hyp = (await call(admin, '/os-hypervisors/detail', { version: '2.88' })).body.hypervisors[0];
    assert.equal(hyp.cpu_info, undefined);
    assert.equal(hyp.vcpus, undefined);
    assert.equal(typeof hyp.uptime, 'string');
    assert.equal((await call(admin, `/servers/${randomUUID()}/consoles`)).status, 410, 'os-consoles is gone, as in nova');
    assert.equal((await call(admin, '/extensions/os-consoles')).body.extension.alias, 'os-consoles');
    assert.equal((await call(admin, '/os-services?xxx=1', { version: '2.75' })).status, 400);
    assert.equal((await call(admin, '/os-services?xxx=1', { version: '2.74' })).status, 200);
    assert.equal((await call(admin, '/os-server-groups', { method: 'POST', version: '2.64', body: { server_group: { name: 'r', policy: 'affinity', rules: { max_server_per_host: 2 } } } })).status, 400);
    const ok = await call(admin, '/os-server-groups', { method: 'POST', version: '2.64', body: { server_group: { name: 'r', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } } });
    assert.deepEqual(ok.body.server_group.rules, { max_server_per_host: 2 });
    assert.equal((await call(admin, '/os-server-external-events', { method: 'POST', version: '2.75', body: { events: [{ name: 'power-update', server_uuid: randomUUID(), tag: 'POWER_ON' }] } })).status, 400);
    assert.deepEqual((await call(admin, '/os-migrations?user_id=u&project_id=p', { version: '2.80' })).body, { migrations: [] });
    const agg = await call(admin, '/os-aggregates', { method: 'POST', body: { aggregate: { name: 'mv-agg' } } });
    assert.equal((await call(admin, `/os-aggregates/${agg.body.aggregate.id}/images`, { method: 'POST', version: '2.81', body: { cache: [{ id: imageRef }] } })).status, imageUrl === undefined ? 202 : 202);
    assert.equal((await call(admin, `/os-aggregates/${agg.body.aggregate.id}/images`, { method: 'POST', version: '2.81', body: { cache: [{ id: randomUUID() }] } })).status, imageUrl === undefined ? 202 : 400);
    assert.equal((await call(admin, `/os-aggregates/${agg.body.aggregate.id}/images`, { method: 'POST', version: '2.80', body: { cache: [{ id: imageRef }] } })).status, 404);
  });
});
