// The test image's parts that need no download: MBR layout, module dependencies, guest scripts that parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BANNER_END, BANNER_START, guestFiles, syslinuxConfig } from './guest-files.js';
import { moduleDepends } from './kernel-modules.js';
import { chs, mbrSector } from './mbr-disk.js';

const run = promisify(execFile);

test('the MBR has boot code, one active FAT16 partition at 1 MiB and the signature', () => {
  const code = Buffer.alloc(440, 0xfa);
  const mbr = mbrSector({ bootCode: code, startLba: 2048, sectors: 65536 });
  assert.equal(mbr.length, 512);
  assert.ok(mbr.subarray(0, 440).equals(code));
  assert.equal(mbr[446], 0x80, 'active');
  assert.equal(mbr[450], 0x0e, 'FAT16 LBA');
  assert.equal(mbr.readUInt32LE(454), 2048);
  assert.equal(mbr.readUInt32LE(458), 65536);
  assert.deepEqual([mbr[510], mbr[511]], [0x55, 0xaa]);
  assert.deepEqual(chs(2048), [32, 33, 0]);
  assert.deepEqual(chs(20_000_000), [254, 255, 255], 'beyond 1024 cylinders: the maximum');
  assert.throws(() => mbrSector({ bootCode: Buffer.alloc(441), startLba: 1, sectors: 1 }), /more than 440/);
});

test('module dependencies come from .modinfo', () => {
  const ko = Buffer.concat([Buffer.from('\x7fELF junk depends=fake\0'), Buffer.from('license=GPL\0depends=virtio,virtio_ring,net-failover\0name=virtio_net\0')]);
  assert.deepEqual(moduleDepends(ko), ['virtio', 'virtio_ring', 'net_failover']);
  assert.deepEqual(moduleDepends(Buffer.from('license=GPL\0depends=\0')), []);
  assert.deepEqual(moduleDepends(Buffer.from('no modinfo here')), []);
});

test('every guest script is valid shell, and the boot script prints the banner', async () => {
  const files = guestFiles({ kernelRelease: '6.1.0-1-cloud-amd64', modules: ['kernel/drivers/virtio/virtio.ko'] });
  const dir = await mkdtemp(join(tmpdir(), 'guest-files-'));
  try {
    for (const f of files.filter((x) => x.content.startsWith('#!/bin/sh'))) {
      const p = join(dir, f.path.replace(/\//g, '_'));
      await writeFile(p, f.content);
      await run('/bin/sh', ['-n', p]).catch((err: unknown) => assert.fail(`${f.path} does not parse: ${String(err)}`));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const boot = files.find((f) => f.path === 'etc/strata/boot')?.content ?? '';
  assert.ok(boot.includes(BANNER_START) && boot.includes(BANNER_END));
  assert.match(boot, /findfs LABEL=config-2/);
  assert.match(boot, /169\.254\.169\.254/);
  assert.equal(files.find((f) => f.path === 'etc/strata/modules')?.content, 'kernel/drivers/virtio/virtio.ko\n');
  assert.equal(files.find((f) => f.path === 'init')?.mode, 0o755);
  assert.match(syslinuxConfig(), /APPEND console=ttyS0,115200n8 quiet/);
});
