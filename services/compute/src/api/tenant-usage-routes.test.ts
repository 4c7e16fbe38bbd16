import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { endpointFor, requestJson } from '@strata/clients';
import { startTestCloud, type TestCloud } from '@strata/testing';

/** os-simple-tenant-usage pages by instance from 2.40 (limit, marker), as `openstack usage list` reads it. */
describe('os-simple-tenant-usage paging (2.40)', () => {
  let tc: TestCloud;
  let base: string;
  let admin: string;
  const ids: string[] = [];
  const window = 'start=2000-01-01T00:00:00&end=2100-01-01T00:00:00';

  const call = async <T = any>(path: string, version: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, { headers: { 'x-auth-token': admin, 'openstack-api-version': `compute ${version}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const usageIds = (body: { tenant_usages: Array<{ server_usages: Array<{ instance_id: string }> }> }): string[] => body.tenant_usages.flatMap((u) => u.server_usages.map((s) => s.instance_id));

  before(async () => {
    tc = await startTestCloud();
    base = `${tc.cloud.urls.compute}/v2.1`;
    admin = await tc.adminToken();
    const imageUrl = endpointFor((await tc.identity.authenticate(tc.admin)).body, 'image')?.replace(/\/$/, '');
    assert.ok(imageUrl !== undefined, 'the test cloud has an image service');
    const h = { 'x-auth-token': admin };
    const img = await requestJson<{ id: string }>(`${imageUrl}/v2/images`, { method: 'POST', headers: h, body: { name: 'usage-image', disk_format: 'raw', container_format: 'bare' } });
    const put = await fetch(`${imageUrl}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096, 3) });
    assert.ok(put.ok, `image upload: ${put.status}`);
    const res = await fetch(`${base}/servers`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.40' },
      body: JSON.stringify({ server: { name: 'usage', imageRef: img.body.id, flavorRef: '1', networks: 'none', min_count: 3, max_count: 3 } }),
    });
    assert.equal(res.status, 202);
    for (let n = 0; n < 400 && ids.length < 3; n++) {
      const list = await call<{ servers: Array<{ id: string; status: string }> }>('/servers/detail', '2.40');
      const active = list.body.servers.filter((s) => s.status === 'ACTIVE');
      if (active.length === 3) ids.push(...active.map((s) => s.id));
      else await sleep(25);
    }
    assert.equal(ids.length, 3, 'three servers ACTIVE');
  });
  after(async () => {
    await tc?.close();
  });

  test('limit gives a page and a next link; the marker resumes after it; past the end the list is empty', async () => {
    const first = await call<any>(`/os-simple-tenant-usage?detailed=1&${window}&limit=2`, '2.40');
    assert.equal(first.status, 200);
    const page1 = usageIds(first.body);
    assert.equal(page1.length, 2);
    const next = new URL(first.body.tenant_usages_links[0].href);
    assert.equal(next.searchParams.get('marker'), page1[1]);
    assert.equal(next.searchParams.get('limit'), '2');
    const second = await call<any>(`/os-simple-tenant-usage?detailed=1&${window}&limit=2&marker=${page1[1]}`, '2.40');
    const page2 = usageIds(second.body);
    assert.deepEqual([...page1, ...page2].sort(), [...ids].sort());
    assert.equal(second.body.tenant_usages_links, undefined, 'a short page is the last');
    const past = await call<any>(`/os-simple-tenant-usage?detailed=1&${window}&marker=${page2[0]}`, '2.40');
    assert.deepEqual(past.body.tenant_usages, []);
  });

  test('an unknown marker is a 400; before 2.40 limit and marker are ignored', async () => {
    const bad = await call<any>(`/os-simple-tenant-usage?${window}&marker=00000000-0000-4000-8000-000000000000`, '2.40');
    assert.equal(bad.status, 400);
    assert.match(bad.body.badRequest.message, /Marker 00000000-0000-4000-8000-000000000000 could not be found/);
    const old = await call<any>(`/os-simple-tenant-usage?detailed=1&${window}&limit=1&marker=nonsense`, '2.39');
    assert.equal(old.status, 200);
    assert.deepEqual(usageIds(old.body).sort(), [...ids].sort());
  });

  test('one tenant: the marker pages its instances too', async () => {
    const project = (await call<any>(`/servers/${ids[0]}`, '2.40')).body.server.tenant_id as string;
    const all = await call<any>(`/os-simple-tenant-usage/${project}?${window}`, '2.40');
    const order: string[] = all.body.tenant_usage.server_usages.map((s: { instance_id: string }) => s.instance_id);
    assert.equal(order.length, 3);
    const rest = await call<any>(`/os-simple-tenant-usage/${project}?${window}&marker=${order[0]}&limit=1`, '2.40');
    assert.deepEqual(rest.body.tenant_usage.server_usages.map((s: { instance_id: string }) => s.instance_id), [order[1]]);
  });
});
