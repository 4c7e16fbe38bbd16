import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attachment } from '../objects/attachment.js';
import type { Volume } from '../objects/volume.js';
import type { VolumeType } from '../objects/volume-type.js';
import { ApiVersion } from './microversion.js';
import { cinderTime, nextLinks, type ViewContext } from './view-helpers.js';
import { attachmentView, volumeDetail, volumeSummary } from './volumes-view.js';
import { snapshotDetail, snapshotSummary } from './snapshots-view.js';

const volume: Volume = {
  id: '11111111-2222-3333-4444-555555555555',
  projectId: 'p1',
  userId: 'u1',
  name: 'v1',
  description: null,
  size: 2,
  status: 'in-use',
  attachStatus: 'attached',
  previousStatus: null,
  migrationStatus: null,
  availabilityZone: 'nova',
  host: 'h@b#p',
  volumeTypeId: 't1',
  snapshotId: null,
  sourceVolid: null,
  groupId: null,
  bootable: true,
  multiattach: false,
  replicationStatus: 'disabled',
  providerLocation: '/x',
  providerId: null,
  encryptionKeyId: null,
  serviceUuid: null,
  useQuota: true,
  adminMetadata: { readonly: 'False', attached_mode: 'rw' },
  imageMetadata: {},
  metadata: { k: 'v' },
  createdAt: '2024-05-06T07:08:09.123Z',
  updatedAt: null,
  launchedAt: null,
  terminatedAt: null,
};
const type: VolumeType = { id: 't1', name: 'gold', description: null, isPublic: true, qosSpecsId: null, extraSpecs: {}, createdAt: '', updatedAt: null };
const attachment: Attachment = {
  id: 'aaaaaaaa-2222-3333-4444-555555555555',
  volumeId: volume.id,
  projectId: 'p1',
  instanceUuid: 'bbbbbbbb-2222-3333-4444-555555555555',
  attachedHost: 'compute-1',
  mountpoint: '/dev/vdb',
  attachStatus: 'attached',
  attachMode: 'rw',
  connector: null,
  connectionInfo: null,
  attachTime: '2024-05-06T07:08:10.000Z',
  detachTime: null,
  createdAt: '',
  updatedAt: null,
};

function vc(version: string, isAdmin = false): ViewContext {
  return { origin: 'http://h:8776', urlProject: 'p1', version: ApiVersion.parse(version) as ApiVersion, isAdmin, isService: false, query: { limit: '2', sort: 'size:asc' } };
}

test('cinder timestamps have microseconds and no zone', () => {
  assert.equal(cinderTime('2024-05-06T07:08:09.123Z'), '2024-05-06T07:08:09.123000');
  assert.equal(cinderTime('2024-05-06T07:08:09Z'), '2024-05-06T07:08:09.000000');
  assert.equal(cinderTime(null), null);
});

test('detail at 3.0 for a member: strings for bootable, attachments without host, tenant attribute, no admin fields', () => {
  const data = { types: new Map([['t1', type]]), attachments: new Map([[volume.id, [attachment]]]) };
  const d = volumeDetail(volume, vc('3.0'), data);
  assert.equal(d.bootable, 'true');
  assert.equal(d.volume_type, 'gold');
  assert.equal(d.created_at, '2024-05-06T07:08:09.123000');
  assert.deepEqual(d.metadata, { k: 'v', readonly: 'False', attached_mode: 'rw' });
  assert.equal(d['os-vol-tenant-attr:tenant_id'], 'p1');
  for (const key of ['os-vol-host-attr:host', 'migration_status', 'group_id', 'shared_targets', 'volume_type_id', 'consumes_quota']) assert.ok(!(key in d), key);
  assert.deepEqual(d.attachments, [{ id: volume.id, attachment_id: attachment.id, volume_id: volume.id, server_id: attachment.instanceUuid, host_name: null, device: '/dev/vdb', attached_at: '2024-05-06T07:08:10.000000' }]);
  assert.deepEqual(d.links, [
    { rel: 'self', href: `http://h:8776/v3/p1/volumes/${volume.id}` },
    { rel: 'bookmark', href: `http://h:8776/p1/volumes/${volume.id}` },
  ]);
  assert.deepEqual(volumeSummary(volume, vc('3.0')), { id: volume.id, name: 'v1', links: d.links });
});

test('detail at 3.70 for an admin: every microversion field and the admin-only ones', () => {
  const data = { types: new Map([['t1', type]]), attachments: new Map() };
  const d = volumeDetail(volume, vc('3.70', true), data);
  assert.equal(d['os-vol-host-attr:host'], 'h@b#p');
  assert.equal(d.group_id, null);
  assert.equal(d.provider_id, null);
  assert.equal(d.shared_targets, false);
  assert.equal(d.cluster_name, null);
  assert.equal(d.volume_type_id, 't1');
  assert.equal(d.consumes_quota, true);
  assert.ok(!('encryption_key_id' in d), 'only shown when set');
  const noExt = volumeDetail(volume, vc('3.70', true), data, { extensions: false });
  assert.ok(!('os-vol-tenant-attr:tenant_id' in noExt) && !('os-vol-host-attr:host' in noExt));
});

test('next links keep the query and set the marker only when the page is full', () => {
  const links = nextLinks(vc('3.0'), 'volumes/detail', [{ id: 'a' }, { id: 'b' }], 2);
  const next = new URL(links[0]?.href ?? '');
  assert.equal(next.pathname, '/v3/p1/volumes/detail');
  assert.equal(next.searchParams.get('marker'), 'b');
  assert.equal(next.searchParams.get('sort'), 'size:asc');
  assert.deepEqual(nextLinks(vc('3.0'), 'volumes', [{ id: 'a' }], 2), []);
});

test('attachments API view and snapshot views per microversion', () => {
  assert.deepEqual(attachmentView(attachment, false), { id: attachment.id, status: 'attached', instance: attachment.instanceUuid, volume_id: volume.id });
  assert.equal(attachmentView({ ...attachment, detachTime: null }, true).detached_at, '');
  const snap = { id: 's', volumeId: volume.id, projectId: 'p1', userId: 'u1', name: null, description: null, status: 'available', progress: '100%', volumeSize: 2, volumeTypeId: 't1', providerLocation: null, groupSnapshotId: null, useQuota: true, metadata: {}, createdAt: '2024-05-06T07:08:09.123Z', updatedAt: null };
  assert.deepEqual(Object.keys(snapshotSummary(snap, vc('3.0'))).sort(), ['created_at', 'description', 'id', 'metadata', 'name', 'size', 'status', 'updated_at', 'volume_id']);
  const d = snapshotDetail(snap, vc('3.65'));
  assert.equal(d['os-extended-snapshot-attributes:progress'], '100%');
  assert.equal(d.user_id, 'u1');
  assert.equal(d.group_snapshot_id, null);
  assert.equal(d.consumes_quota, true);
});
