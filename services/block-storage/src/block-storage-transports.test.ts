import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@strata/log';
import { skipUnlessReachable, startTestCloud, type TestCloud } from '@strata/testing';
import { FileVolumeDriver } from '@strata/volume-file';
import { startBlockStorageNode, type BlockStorageNode } from './block-storage-node.js';
import { makeMember, testSettings, volumeClient, waitUntil } from './test-support.js';

const transports = [
  { name: 'memory', url: () => `memory://bs-${randomBytes(4).toString('hex')}`, skip: undefined as string | undefined },
  { name: 'rabbit', url: () => `rabbit://guest:guest@127.0.0.1:5672/`, skip: await skipUnlessReachable('RabbitMQ', '127.0.0.1', 5672) },
];
const fileBackend = FileVolumeDriver.available();

describe('cinder processes over each transport, with the file backend where qemu-img is installed', () => {
  let tc: TestCloud;
  let member: { projectId: string; token: string };
  before(async () => {
    tc = await startTestCloud();
    const m = await makeMember(tc.authUrl, await tc.adminToken(), `bs-rpc-${randomBytes(3).toString('hex')}`);
    member = { projectId: m.projectId, token: await m.token() };
  });
  after(async () => tc?.close());

  test('two file backends side by side: thin (qcow2) and preallocated (raw), chosen by volume_backend_name', { skip: fileBackend ? undefined : 'qemu-img is not installed' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-bs-two-'));
    const node = await startBlockStorageNode({
      settings: testSettings({ enabled_backends: 'thin:file:qcow2,thick:file:raw', volumes_dir: dir }),
      databaseUrl: 'sqlite://:memory:',
      transportUrl: `memory://bs-two-${randomBytes(4).toString('hex')}`,
      authUrl: tc.authUrl,
      dataDir: dir,
      listenHost: '127.0.0.1',
      logger: silentLogger(),
    });
    try {
      const call = volumeClient(node.url);
      const admin = await tc.adminToken();
      const adminProject = ((await (await fetch(`${tc.authUrl}/auth/tokens?nocatalog`, { headers: { 'x-auth-token': admin, 'x-subject-token': admin } })).json()) as { token: { project: { id: string } } }).token.project.id;
      const p = (rest: string) => `/v3/${member.projectId}${rest}`;
      for (const [name, ext] of [['thin', 'qcow2'], ['thick', 'raw']] as const) {
        const type = (await call('POST', `/v3/${adminProject}/types`, { token: admin, body: { volume_type: { name: `${name}-${randomBytes(3).toString('hex')}`, extra_specs: { volume_backend_name: name } } } })).body.volume_type;
        const v = (await call('POST', p('/volumes'), { token: member.token, body: { volume: { size: 1, volume_type: type.id } } })).body.volume;
        await waitUntil(() => call('GET', p(`/volumes/${v.id}`), { token: member.token }), (r) => r.body.volume.status === 'available');
        assert.ok(existsSync(join(dir, name, `volume-${v.id}.${ext}`)), `${name} holds a .${ext} file`);
      }
      const pools = (await call('GET', `/v3/${adminProject}/scheduler-stats/get_pools?detail=true`, { token: admin })).body.pools;
      const byName = Object.fromEntries(pools.map((x: { capabilities: { volume_backend_name: string; thin_provisioning_support: boolean } }) => [x.capabilities.volume_backend_name, x.capabilities.thin_provisioning_support]));
      assert.deepEqual(byName, { thin: true, thick: false });
    } finally {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const t of transports) {
    describe(`${t.name}://`, { skip: t.skip }, () => {
      let node: BlockStorageNode;
      let dir: string;
      before(async () => {
        dir = mkdtempSync(join(tmpdir(), 'strata-bs-rpc-'));
        node = await startBlockStorageNode({
          // A host name per run: on a shared RabbitMQ, queues are named after it.
          settings: testSettings({ enabled_backends: fileBackend ? 'files:file:qcow2' : 'files:fake', volumes_dir: dir }),
          databaseUrl: `sqlite://${join(dir, 'cinder.sqlite')}`,
          transportUrl: t.url(),
          authUrl: tc.authUrl,
          dataDir: dir,
          listenHost: '127.0.0.1',
          logger: silentLogger(),
        });
      });
      after(async () => {
        await node?.close();
        rmSync(dir, { recursive: true, force: true });
      });

      test('create, snapshot, from snapshot, extend, remote attach over NBD, delete removes the file', async () => {
        const call = volumeClient(node.url);
        const p = (rest: string) => `/v3/${member.projectId}${rest}`;
        const token = member.token;
        const status = (id: string, want: string, kind = 'volume') =>
          waitUntil(() => call('GET', p(`/${kind}s/${id}`), { token }), (r) => [want, 'error'].includes(r.body?.[kind]?.status));
        const v = (await call('POST', p('/volumes'), { token, body: { volume: { size: 1, name: 'rpc' } } })).body.volume;
        assert.equal((await status(v.id, 'available')).body.volume.status, 'available');
        const backendFiles = () => readdirSync(join(dir, 'files')).filter((n) => n.startsWith('volume-'));
        if (fileBackend) assert.ok(existsSync(join(dir, 'files', `volume-${v.id}.qcow2`)), 'a qcow2 file backs the volume');
        const s = (await call('POST', p('/snapshots'), { token, body: { snapshot: { volume_id: v.id } } })).body.snapshot;
        assert.equal((await status(s.id, 'available', 'snapshot')).body.snapshot.status, 'available');
        const w = (await call('POST', p('/volumes'), { token, body: { volume: { snapshot_id: s.id, size: 2 } } })).body.volume;
        assert.equal((await status(w.id, 'available')).body.volume.size, 2);
        await call('POST', p(`/volumes/${v.id}/action`), { token, body: { 'os-extend': { new_size: 3 } } });
        await waitUntil(() => call('GET', p(`/volumes/${v.id}`), { token }), (r) => r.body.volume.size === 3 && r.body.volume.status === 'available');
        const att = await call('POST', p('/attachments'), { token, version: '3.44', body: { attachment: { volume_uuid: w.id, instance_uuid: '3f5a9a72-5d2b-4c3d-9f29-4c0f9b0f3a11', connector: { host: 'far-away-compute', ip: '127.0.0.1' } } } });
        assert.equal(att.status, 200);
        const info = att.body.attachment.connection_info;
        if (fileBackend) {
          assert.equal(info.driver_volume_type, 'nbd');
          assert.equal(info.host, '127.0.0.1');
          assert.ok(info.port > 0);
        }
        assert.equal((await call('DELETE', p(`/attachments/${att.body.attachment.id}`), { token, version: '3.44' })).status, 200);
        for (const id of [v.id, w.id]) {
          const del = await call('DELETE', p(`/volumes/${id}${id === v.id ? '?cascade=true' : ''}`), { token });
          assert.equal(del.status, 202);
        }
        for (const id of [v.id, w.id]) await waitUntil(() => call('GET', p(`/volumes/${id}`), { token }), (r) => r.status === 404);
        if (fileBackend) assert.deepEqual(backendFiles(), [], 'deleting removed the backing files');
      });
    });
  }
});
