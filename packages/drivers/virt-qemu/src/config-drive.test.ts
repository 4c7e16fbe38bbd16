// The config drive's files (OpenStack layout), and a real ISO 9660 image labelled config-2 where xorriso/genisoimage exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfigDrive, configDriveFiles } from './config-drive.js';
import { execFileRunner } from './host-commands.js';

const data = { metaData: { uuid: 'u1', hostname: 'vm1' }, userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'), networkData: { links: [] } };

test('the files: meta_data.json (with admin_pass), decoded user_data, network and vendor data, per version', () => {
  const files = configDriveFiles(data, 'pw');
  assert.deepEqual(JSON.parse(files.get('openstack/latest/meta_data.json')?.toString() ?? ''), { uuid: 'u1', hostname: 'vm1', admin_pass: 'pw' });
  assert.equal(files.get('openstack/latest/user_data')?.toString(), '#!/bin/sh\necho hi\n');
  assert.deepEqual(JSON.parse(files.get('openstack/latest/network_data.json')?.toString() ?? ''), { links: [] });
  assert.deepEqual(JSON.parse(files.get('openstack/2012-08-10/vendor_data.json')?.toString() ?? ''), {});
  assert.equal(configDriveFiles({ metaData: {} }).has('openstack/latest/user_data'), false);
  assert.equal(JSON.parse(configDriveFiles({ metaData: { a: 1 } }).get('openstack/latest/meta_data.json')?.toString() ?? '').admin_pass, undefined);
});

const builder = await access('/usr/bin/xorriso').then(() => true, () => access('/usr/bin/genisoimage').then(() => true, () => false));

test('a real ISO: volume id config-2, mode 0600, no scratch left', { skip: builder ? false : 'neither xorriso nor genisoimage is installed' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cfgdrive-'));
  try {
    const target = join(dir, 'disk.config');
    await buildConfigDrive(execFileRunner, undefined, target, data, 'secret');
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    const fh = await open(target, 'r');
    const pvd = Buffer.alloc(2048);
    await fh.read(pvd, 0, 2048, 16 * 2048);
    await fh.close();
    assert.equal(pvd.subarray(1, 6).toString(), 'CD001', 'an ISO 9660 primary volume descriptor');
    assert.equal(pvd.subarray(40, 72).toString().trim(), 'config-2');
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(dir), ['disk.config']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
