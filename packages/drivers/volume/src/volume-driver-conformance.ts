/** The one test suite every VolumeDriver passes (Kysely's per-dialect suites): run it from each backend's own test file. */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GIB, type ImageSink, type ImageSource, type SnapshotRef, type VolumeDriver, type VolumeRef } from './volume-driver.js';

/** How to build the driver under test. */
export interface ConformanceTarget {
  /** Shown in the suite name. */
  readonly name: string;
  /** Skip the whole suite with this reason (e.g. qemu-img missing). */
  readonly skip?: string;
  /** A fresh driver; `cleanup` removes whatever it created on disk. */
  create(): Promise<{ driver: VolumeDriver; cleanup(): Promise<void> }>;
  /** A connector host the driver treats as local (same machine). */
  readonly localHost: string;
}

/**
 * Collects what a driver uploads: the first `keep` bytes, then stops reading (a sink may hang up
 * early, and drivers must cope), or with `readAll` the whole stream and its byte count.
 */
export class CapturingSink implements ImageSink {
  readonly diskFormat: string;
  bytes = 0;
  head: Buffer = Buffer.alloc(0);
  readonly #keep: number;
  readonly #readAll: boolean;
  constructor(diskFormat = 'raw', options: { keep?: number; readAll?: boolean } = {}) {
    this.diskFormat = diskFormat;
    this.#keep = options.keep ?? 2 * 1024 * 1024;
    this.#readAll = options.readAll ?? false;
  }
  async write(data: Readable): Promise<void> {
    const parts: Buffer[] = [];
    let kept = 0;
    for await (const chunk of data) {
      const b = chunk as Buffer;
      this.bytes += b.length;
      if (kept < this.#keep) {
        parts.push(b.subarray(0, this.#keep - kept));
        kept += Math.min(b.length, this.#keep - kept);
      }
      if (kept >= this.#keep && !this.#readAll) break;
    }
    this.head = Buffer.concat(parts);
  }
}

/** A raw image: `pattern` at offset 0 and again at 1 MiB, zeros elsewhere, `length` bytes long. */
export function patternImage(pattern: string, length = 2 * 1024 * 1024): Buffer {
  const b = Buffer.alloc(length);
  b.write(pattern, 0, 'utf8');
  b.write(pattern, 1024 * 1024, 'utf8');
  return b;
}

/** The virtual size in a qcow2 header (big-endian u64 at offset 24); throws unless `head` starts with the qcow2 magic. */
export function qcow2VirtualSize(head: Buffer): number {
  if (head.length < 32 || head.readUInt32BE(0) !== 0x514649fb) throw new Error('not a qcow2 image');
  return Number(head.readBigUInt64BE(24));
}

/** An ImageSource over a buffer. */
export function bufferImage(data: Buffer, diskFormat = 'raw', id: string = randomUUID()): ImageSource {
  return { id, diskFormat, open: async () => Readable.from([data]) };
}

function hasQemuImg(): boolean {
  return spawnSync('qemu-img', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A small qcow2 file with the given virtual size, made by qemu-img; undefined without it. */
export function qcow2ImageOf(virtualSizeGb: number): Buffer | undefined {
  if (!hasQemuImg()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'strata-qcow2-'));
  try {
    const path = join(dir, 'image.qcow2');
    const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', path, `${virtualSizeGb}G`]);
    if (r.status !== 0) return undefined;
    return readFileSync(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function vol(size = 1, location: string | null = null): VolumeRef {
  return { id: randomUUID(), size, location };
}

/** Register the conformance suite for one driver. */
export function volumeDriverConformance(target: ConformanceTarget): void {
  describe(`volume driver conformance: ${target.name}`, { skip: target.skip }, () => {
    let driver: VolumeDriver;
    let cleanup: () => Promise<void>;
    before(async () => {
      const made = await target.create();
      driver = made.driver;
      cleanup = made.cleanup;
    });
    after(async () => {
      await driver?.close();
      await driver?.close();
      await cleanup?.();
    });

    test('stats report a protocol and at least one pool with sane capacity', async () => {
      const stats = await driver.getStats();
      assert.ok(stats.storageProtocol.length > 0);
      assert.ok(stats.pools.length >= 1);
      for (const p of stats.pools) {
        assert.ok(p.poolName.length > 0);
        assert.ok(Number.isFinite(p.totalCapacityGb) && p.totalCapacityGb > 0);
        assert.ok(p.freeCapacityGb >= 0 && p.freeCapacityGb <= p.totalCapacityGb);
        assert.ok(p.thinProvisioningSupport || p.thickProvisioningSupport);
      }
    });

    test('create a blank volume, read it back as zeros of its size, delete it twice', async () => {
      const v = vol(1);
      const created = await driver.createVolume(v);
      assert.ok(created.location.length > 0);
      const sink = new CapturingSink();
      await driver.copyVolumeToImage({ ...v, location: created.location }, sink);
      assert.ok(sink.head.length > 0 && sink.head.every((x) => x === 0));
      const qcow2 = new CapturingSink('qcow2');
      await driver.copyVolumeToImage({ ...v, location: created.location }, qcow2);
      assert.equal(qcow2VirtualSize(qcow2.head), GIB);
      await driver.deleteVolume({ ...v, location: created.location });
      await driver.deleteVolume({ ...v, location: created.location });
    });

    test('from image: the data lands at the start; an image larger than the volume is refused', async () => {
      const v = vol(1);
      const created = await driver.createVolumeFromImage(v, bufferImage(patternImage('strata-image-A')));
      const sink = new CapturingSink();
      await driver.copyVolumeToImage({ ...v, location: created.location }, sink);
      assert.equal(sink.head.subarray(0, 14).toString(), 'strata-image-A');
      assert.equal(sink.head.subarray(1024 * 1024, 1024 * 1024 + 14).toString(), 'strata-image-A');
      await driver.deleteVolume({ ...v, location: created.location });

      const big = qcow2ImageOf(2);
      if (big !== undefined) {
        const w = vol(1);
        await assert.rejects(driver.createVolumeFromImage(w, bufferImage(big, 'qcow2')), (err: { code?: string; status?: number }) => err.code === 'ImageUnacceptable' && err.status === 400);
        // Nothing was left behind: deleting the never-created volume is a no-op, and stats still work.
        await driver.deleteVolume(w);
      }
    });

    test('snapshot, volume from snapshot, clone and extend keep the data', async () => {
      const v = vol(1);
      const created = await driver.createVolumeFromImage(v, bufferImage(patternImage('strata-snap-B')));
      const live: VolumeRef = { ...v, location: created.location };
      const s: SnapshotRef = { id: randomUUID(), volumeId: v.id, volumeSize: 1, location: null };
      const snap = await driver.createSnapshot(s, live);
      const snapRef: SnapshotRef = { ...s, location: snap.location };

      const fromSnap = vol(1);
      const fs = await driver.createVolumeFromSnapshot(fromSnap, snapRef);
      const sink1 = new CapturingSink();
      await driver.copyVolumeToImage({ ...fromSnap, location: fs.location }, sink1);
      assert.equal(sink1.head.subarray(0, 13).toString(), 'strata-snap-B');

      const clone = vol(1);
      const cl = await driver.createClonedVolume(clone, live);
      const sink2 = new CapturingSink();
      await driver.copyVolumeToImage({ ...clone, location: cl.location }, sink2);
      assert.equal(sink2.head.subarray(0, 13).toString(), 'strata-snap-B');

      await driver.extendVolume(live, 2);
      const sink3 = new CapturingSink('qcow2');
      await driver.copyVolumeToImage({ ...live, size: 2 }, sink3);
      assert.equal(qcow2VirtualSize(sink3.head), 2 * GIB);

      if (driver.capabilities.revertToSnapshot && driver.revertToSnapshot !== undefined) {
        await driver.revertToSnapshot({ ...live, size: 2 }, snapRef);
        const sink4 = new CapturingSink();
        await driver.copyVolumeToImage({ ...live, size: 2 }, sink4);
        assert.equal(sink4.head.subarray(0, 13).toString(), 'strata-snap-B');
      }

      await driver.deleteSnapshot(snapRef, live);
      await driver.deleteSnapshot(snapRef, live);
      for (const r of [{ ...fromSnap, location: fs.location }, { ...clone, location: cl.location }, live]) await driver.deleteVolume(r);
    });

    test('connections: local and remote connectors get connection info; terminate is idempotent', async () => {
      const v = vol(1);
      const created = await driver.createVolume(v);
      const live = { ...v, location: created.location };
      const attachment = randomUUID();
      const local = await driver.initializeConnection(live, { host: target.localHost, ip: '127.0.0.1' }, attachment);
      assert.equal(typeof local.driver_volume_type, 'string');
      assert.ok(Object.keys(local.data).length > 0);
      const again = await driver.initializeConnection(live, { host: target.localHost, ip: '127.0.0.1' }, attachment);
      assert.deepEqual(again, local);
      await driver.terminateConnection(live, attachment);
      await driver.terminateConnection(live, attachment);
      if (driver.capabilities.remoteAttach) {
        const remoteAttachment = randomUUID();
        const remote = await driver.initializeConnection(live, { host: 'some-other-compute-host', ip: '127.0.0.1' }, remoteAttachment);
        assert.notEqual(remote.driver_volume_type, local.driver_volume_type);
        await driver.terminateConnection(live, remoteAttachment);
      }
      await driver.deleteVolume(live);
    });

    test('ids that are not UUIDs are refused before anything is created', async () => {
      await assert.rejects(driver.createVolume({ id: '../../etc/passwd', size: 1, location: null }), TypeError);
    });
  });
}
