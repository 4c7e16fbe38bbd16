import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DiskFormatInspector, parseQcow2Header, virtualSizeOf } from './disk-format-inspector.js';

/** A qcow2 header as qemu-img writes it. */
function qcow2(opts: { version?: number; size: bigint; backing?: boolean; incompatible?: bigint }): Buffer {
  const b = Buffer.alloc(512);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(opts.version ?? 3, 4);
  b.writeBigUInt64BE(opts.backing === true ? 0x1000n : 0n, 8);
  b.writeUInt32BE(16, 20);
  b.writeBigUInt64BE(opts.size, 24);
  b.writeBigUInt64BE(opts.incompatible ?? 0n, 72);
  b.writeUInt32BE(104, 100);
  return b;
}

async function inspect(format: string | null, chunks: Buffer[]): Promise<DiskFormatInspector> {
  const inspector = new DiskFormatInspector(format);
  await pipeline(Readable.from(chunks), inspector, new Writable({ write: (_c, _e, cb) => cb() }));
  return inspector;
}

test('qcow2 headers: virtual size, version 2 and 3, not-qcow2 data', () => {
  assert.deepEqual(parseQcow2Header(qcow2({ size: 10n * 1024n ** 3n })), { version: 3, virtualSize: 10 * 1024 ** 3, hasBackingFile: false, hasDataFile: false, unknownFeatures: false });
  assert.equal(parseQcow2Header(qcow2({ version: 2, size: 4096n }))?.virtualSize, 4096);
  assert.equal(parseQcow2Header(Buffer.alloc(512, 1)), undefined);
  assert.equal(parseQcow2Header(qcow2({ version: 7, size: 1n })), undefined);
  assert.equal(parseQcow2Header(qcow2({ size: 1n }).subarray(0, 40)), undefined);
});

test('virtual size per declared format: raw is the data size, qcow2 from its header, others unknown', () => {
  assert.equal(virtualSizeOf('raw', Buffer.alloc(10), 12345), 12345);
  assert.equal(virtualSizeOf('qcow2', qcow2({ size: 1n << 30n }), 700), 1 << 30);
  assert.equal(virtualSizeOf('qcow2', Buffer.alloc(512), 700), null);
  assert.equal(virtualSizeOf('vmdk', qcow2({ size: 5n }), 700), null);
});

test('the inspector reads the header across chunk boundaries and passes every byte on', async () => {
  const header = qcow2({ size: 2n * 1024n ** 3n });
  const data = Buffer.concat([header, Buffer.alloc(100_000, 9)]);
  const chunks = [data.subarray(0, 7), data.subarray(7, 30), data.subarray(30, 600), data.subarray(600)];
  const inspector = new DiskFormatInspector('qcow2');
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), inspector, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  assert.equal(inspector.virtualSize(), 2 * 1024 ** 3);
  assert.deepEqual(Buffer.concat(out), data);
  assert.equal((await inspect('qcow2', [Buffer.from('tiny')])).virtualSize(), null);
});

test('unsafe qcow2 images (backing file, external data file, unknown features) are refused with 400', async () => {
  for (const unsafe of [qcow2({ size: 1n, backing: true }), qcow2({ size: 1n, incompatible: 0b100n }), qcow2({ size: 1n, incompatible: 1n << 20n })]) {
    await assert.rejects(inspect('qcow2', [unsafe, Buffer.alloc(1000)]), (err: { status?: number; code?: string }) => err.status === 400 && err.code === 'UnsafeDiskImage');
  }
  // Declared raw: the bytes are not interpreted, so nothing to refuse.
  assert.equal((await inspect('raw', [qcow2({ size: 1n, backing: true })])).virtualSize(), 512);
});
