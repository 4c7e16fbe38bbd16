import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bufferImage, patternImage, volumeDriverConformance } from '@strata/volume/conformance';
import { FileVolumeDriver, type FileVolumeFormat } from './file-volume-driver.js';
import { QemuImg } from './qemu-img.js';

const run = promisify(execFile);
const skip = QemuImg.available() ? undefined : 'qemu-img is not installed';

async function make(format: FileVolumeFormat): Promise<{ driver: FileVolumeDriver; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `strata-volfile-${format}-`));
  const driver = await FileVolumeDriver.create({ dir, format, host: 'storage-1' });
  return { driver, dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

for (const format of ['qcow2', 'raw'] as const) {
  volumeDriverConformance({ name: `file (${format})`, skip, localHost: 'storage-1', create: () => make(format) });
}

test('file backend: qcow2 volumes are sparse; a remote connector gets a working NBD export that detach tears down', { skip }, async () => {
  const { driver, dir, cleanup } = await make('qcow2');
  try {
    const id = randomUUID();
    const { location } = await driver.createVolumeFromImage({ id, size: 1, location: null }, bufferImage(patternImage('nbd-data')));
    const info = await new QemuImg().info(location, 'qcow2');
    assert.equal(info.virtualSize, 1024 ** 3);
    assert.ok(info.actualSize < 16 * 1024 * 1024, `sparse: ${info.actualSize} bytes on disk`);
    const attachment = randomUUID();
    const conn = await driver.initializeConnection({ id, size: 1, location }, { host: 'compute-9', ip: '10.0.0.9' }, attachment);
    assert.equal(conn.driver_volume_type, 'nbd');
    const { host, port, export_name } = conn.data as { host: string; port: number; export_name: string };
    assert.equal(host, '127.0.0.1');
    const out = await run('qemu-img', ['info', '--output=json', `nbd://${host}:${port}/${export_name}`]);
    assert.equal(JSON.parse(out.stdout)['virtual-size'], 1024 ** 3);
    assert.equal(driver.exportCount, 1);
    await driver.terminateConnection({ id, size: 1, location }, attachment);
    assert.equal(driver.exportCount, 0);
    await assert.rejects(run('qemu-img', ['info', `nbd://${host}:${port}/${export_name}`], { timeout: 5000 }));
    await driver.deleteVolume({ id, size: 1, location });
    assert.equal(existsSync(location), false, 'delete removes the backing file');
    assert.deepEqual(readdirSync(dir).filter((n) => n !== 'exports'), []);
  } finally {
    await driver.close();
    await cleanup();
  }
});

test('file backend: images with a backing file or of the wrong format are refused and leave nothing behind', { skip }, async () => {
  const { driver, dir, cleanup } = await make('raw');
  const scratch = mkdtempSync(join(tmpdir(), 'strata-backing-'));
  try {
    const overlay = join(scratch, 'overlay.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'backing_file=/etc/hostname,backing_fmt=raw', overlay, '1M']);
    const { readFileSync } = await import('node:fs');
    await assert.rejects(driver.createVolumeFromImage({ id: randomUUID(), size: 1, location: null }, bufferImage(readFileSync(overlay), 'qcow2')), /backing file/);
    await assert.rejects(driver.createVolumeFromImage({ id: randomUUID(), size: 1, location: null }, bufferImage(Buffer.from('not a qcow2'), 'qcow2')), (e: { status?: number }) => e.status === 400);
    assert.deepEqual(readdirSync(dir).filter((n) => n !== 'exports'), []);
  } finally {
    await driver.close();
    await cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
