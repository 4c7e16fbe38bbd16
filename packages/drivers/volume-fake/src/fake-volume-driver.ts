/** An in-memory volume backend for tests and scale runs: every operation succeeds quickly and keeps a small prefix of the data. */
import { Readable } from 'node:stream';
import {
  GIB,
  ImageTooBig,
  VolumeDataNotFound,
  assertVolumeObjectId,
  type BackendStats,
  type ConnectionInfo,
  type Connector,
  type CreatedSnapshot,
  type CreatedVolume,
  type ImageSink,
  type ImageSource,
  type SnapshotRef,
  type VolumeDriver,
  type VolumeDriverCapabilities,
  type VolumeRef,
} from '@strata/volume';

/** Options of FakeVolumeDriver. */
export interface FakeVolumeDriverOptions {
  /** Capacity the backend reports, in GiB. @default 10000 */
  readonly totalCapacityGb?: number;
  /** Name of the single pool. @default 'fake' */
  readonly poolName?: string;
  /** Delay added to every create, snapshot and delete, to model a slow backend. @default 0 */
  readonly delayMs?: number;
  /** Reported as `storage_protocol`. @default 'fake' */
  readonly storageProtocol?: string;
}

/** How much of each volume's data the fake keeps (the rest reads as zeros). */
const KEEP = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);
const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

interface FakeVolume {
  size: number;
  head: Buffer;
}

function zeroPadded(head: Buffer, total: number): Readable {
  return Readable.from(
    (function* () {
      let sent = 0;
      if (head.length > 0) {
        const first = head.subarray(0, Math.min(head.length, total));
        sent += first.length;
        yield first;
      }
      while (sent < total) {
        const n = Math.min(ZEROS.length, total - sent);
        sent += n;
        yield n === ZEROS.length ? ZEROS : ZEROS.subarray(0, n);
      }
    })(),
  );
}

function qcow2Header(virtualSize: number): Buffer {
  const b = Buffer.alloc(512);
  QCOW2_MAGIC.copy(b, 0);
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(BigInt(virtualSize), 24);
  return b;
}

/** A VolumeDriver that stores nothing on disk: sizes, snapshots and a 4 MiB data prefix per volume, in memory. */
export class FakeVolumeDriver implements VolumeDriver {
  readonly kind = 'fake';
  readonly capabilities: VolumeDriverCapabilities = Object.freeze({ thinProvisioning: true, revertToSnapshot: true, extendAttached: true, remoteAttach: false });
  readonly #volumes = new Map<string, FakeVolume>();
  readonly #snapshots = new Map<string, FakeVolume>();
  readonly #exports = new Map<string, ConnectionInfo>();
  readonly #total: number;
  readonly #pool: string;
  readonly #delayMs: number;
  readonly #protocol: string;

  constructor(options: FakeVolumeDriverOptions = {}) {
    this.#total = options.totalCapacityGb ?? 10_000;
    this.#pool = options.poolName ?? 'fake';
    this.#delayMs = options.delayMs ?? 0;
    this.#protocol = options.storageProtocol ?? 'fake';
  }

  /** Volumes held now (tests). */
  get volumeCount(): number {
    return this.#volumes.size;
  }

  /** Exports held now (tests). */
  get exportCount(): number {
    return this.#exports.size;
  }

  async getStats(): Promise<BackendStats> {
    let used = 0;
    for (const v of this.#volumes.values()) used += v.size;
    return {
      vendorName: 'Open Source',
      driverVersion: '1.0.0',
      storageProtocol: this.#protocol,
      pools: [
        {
          poolName: this.#pool,
          totalCapacityGb: this.#total,
          freeCapacityGb: Math.max(0, this.#total - used),
          reservedPercentage: 0,
          maxOverSubscriptionRatio: 20,
          thinProvisioningSupport: true,
          thickProvisioningSupport: true,
          multiattach: true,
          extra: {},
        },
      ],
    };
  }

  async createVolume(volume: VolumeRef): Promise<CreatedVolume> {
    assertVolumeObjectId(volume.id, 'volume id');
    await this.#delay();
    this.#volumes.set(volume.id, { size: volume.size, head: Buffer.alloc(0) });
    return { location: `fake://${volume.id}` };
  }

  async createVolumeFromSnapshot(volume: VolumeRef, snapshot: SnapshotRef): Promise<CreatedVolume> {
    assertVolumeObjectId(volume.id, 'volume id');
    const s = this.#snapshots.get(snapshot.id);
    if (s === undefined) throw new VolumeDataNotFound('snapshot', snapshot.id);
    await this.#delay();
    this.#volumes.set(volume.id, { size: volume.size, head: Buffer.from(s.head) });
    return { location: `fake://${volume.id}` };
  }

  async createClonedVolume(volume: VolumeRef, source: VolumeRef): Promise<CreatedVolume> {
    assertVolumeObjectId(volume.id, 'volume id');
    const src = this.#volumes.get(source.id);
    if (src === undefined) throw new VolumeDataNotFound('volume', source.id);
    await this.#delay();
    this.#volumes.set(volume.id, { size: volume.size, head: Buffer.from(src.head) });
    return { location: `fake://${volume.id}` };
  }

  async createVolumeFromImage(volume: VolumeRef, image: ImageSource): Promise<CreatedVolume> {
    assertVolumeObjectId(volume.id, 'volume id');
    const parts: Buffer[] = [];
    let length = 0;
    let kept = 0;
    for await (const chunk of await image.open()) {
      const b = chunk as Buffer;
      length += b.length;
      if (kept < KEEP) {
        parts.push(b.subarray(0, KEEP - kept));
        kept += Math.min(b.length, KEEP - kept);
      }
    }
    let head = Buffer.concat(parts);
    let virtualSize = length;
    if (head.subarray(0, 4).equals(QCOW2_MAGIC) && head.length >= 32) {
      virtualSize = Number(head.readBigUInt64BE(24));
      head = Buffer.alloc(0);
    }
    if (virtualSize > volume.size * GIB) throw new ImageTooBig(image.id, Math.ceil(virtualSize / GIB), volume.size);
    await this.#delay();
    this.#volumes.set(volume.id, { size: volume.size, head });
    return { location: `fake://${volume.id}` };
  }

  async copyVolumeToImage(volume: VolumeRef, sink: ImageSink): Promise<void> {
    const v = this.#volumes.get(volume.id);
    if (v === undefined) throw new VolumeDataNotFound('volume', volume.id);
    const total = v.size * GIB;
    await sink.write(sink.diskFormat === 'raw' ? zeroPadded(v.head, total) : Readable.from([qcow2Header(total)]));
  }

  async extendVolume(volume: VolumeRef, newSize: number): Promise<void> {
    const v = this.#volumes.get(volume.id);
    if (v === undefined) throw new VolumeDataNotFound('volume', volume.id);
    v.size = Math.max(v.size, newSize);
  }

  async deleteVolume(volume: VolumeRef): Promise<void> {
    await this.#delay();
    this.#volumes.delete(volume.id);
    for (const key of [...this.#exports.keys()]) if (key.startsWith(`${volume.id}/`)) this.#exports.delete(key);
  }

  async createSnapshot(snapshot: SnapshotRef, volume: VolumeRef): Promise<CreatedSnapshot> {
    assertVolumeObjectId(snapshot.id, 'snapshot id');
    const v = this.#volumes.get(volume.id);
    if (v === undefined) throw new VolumeDataNotFound('volume', volume.id);
    await this.#delay();
    this.#snapshots.set(snapshot.id, { size: v.size, head: Buffer.from(v.head) });
    return { location: `fake://${volume.id}@${snapshot.id}` };
  }

  async deleteSnapshot(snapshot: SnapshotRef): Promise<void> {
    await this.#delay();
    this.#snapshots.delete(snapshot.id);
  }

  async revertToSnapshot(volume: VolumeRef, snapshot: SnapshotRef): Promise<void> {
    const v = this.#volumes.get(volume.id);
    const s = this.#snapshots.get(snapshot.id);
    if (v === undefined) throw new VolumeDataNotFound('volume', volume.id);
    if (s === undefined) throw new VolumeDataNotFound('snapshot', snapshot.id);
    v.head = Buffer.from(s.head);
  }

  async initializeConnection(volume: VolumeRef, connector: Connector, attachmentId: string): Promise<ConnectionInfo> {
    const key = `${volume.id}/${attachmentId}`;
    const existing = this.#exports.get(key);
    if (existing !== undefined) return existing;
    const info: ConnectionInfo = { driver_volume_type: 'fake', data: { volume_id: volume.id, attachment_id: attachmentId, host: connector.host ?? null, access_mode: 'rw' } };
    this.#exports.set(key, info);
    return info;
  }

  async terminateConnection(volume: VolumeRef, attachmentId: string): Promise<void> {
    this.#exports.delete(`${volume.id}/${attachmentId}`);
  }

  async close(): Promise<void> {
    this.#exports.clear();
  }

  async #delay(): Promise<void> {
    if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
  }
}
