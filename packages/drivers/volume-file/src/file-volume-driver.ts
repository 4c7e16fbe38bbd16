/** The file volume backend: each volume a qcow2 (thin) or raw (preallocated) file made with qemu-img, exported over NBD to remote hosts. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  GIB,
  ImageTooBig,
  ImageUnacceptable,
  VolumeBackendError,
  VolumeDataNotFound,
  assertVolumeObjectId,
  type BackendStats,
  type ConnectionInfo,
  type ConnectionOptions,
  type Connector,
  type CreatedSnapshot,
  type CreatedVolume,
  type ImageSink,
  type ImageSource,
  type OperationOptions,
  type SnapshotRef,
  type VolumeDriver,
  type VolumeDriverCapabilities,
  type VolumeRef,
} from '@strata/volume';
import { QemuImg } from './qemu-img.js';
import { NbdExports } from './nbd-exports.js';

/** The on-disk format of a backend's volumes. */
export type FileVolumeFormat = 'qcow2' | 'raw';

/** Options of FileVolumeDriver.create. */
export interface FileVolumeDriverOptions {
  /** Directory holding the volume files; created if missing. */
  readonly dir: string;
  /** `qcow2`: thin, sparse, internal snapshots. `raw`: preallocated, snapshots as copies. @default 'qcow2' */
  readonly format?: FileVolumeFormat;
  /** This storage host's name: connectors naming it get the file path, others an NBD export. */
  readonly host: string;
  /** Address NBD exports listen on (the storage host's address). @default '127.0.0.1' */
  readonly exportAddress?: string;
  /** Pool name reported to the scheduler. @default 'file' */
  readonly poolName?: string;
  /** Thin provisioning's over-subscription ratio reported to the scheduler. @default 20 */
  readonly maxOverSubscriptionRatio?: number;
  /** Percentage of the capacity kept free. @default 0 */
  readonly reservedPercentage?: number;
  /** Reported as `storage_protocol`. @default 'NBD' */
  readonly storageProtocol?: string;
  readonly qemuImgBinary?: string;
  readonly qemuNbdBinary?: string;
}

// glance disk_format → qemu-img format name.
const IMAGE_FORMATS: Readonly<Record<string, string>> = { raw: 'raw', qcow2: 'qcow2', vmdk: 'vmdk', vdi: 'vdi', vhd: 'vpc', vhdx: 'vhdx', iso: 'raw', ami: 'raw', ploop: 'parallels' };
const TMP = '.tmp-';

/** A VolumeDriver over files in one directory; every command is a qemu-img argument array. */
export class FileVolumeDriver implements VolumeDriver {
  readonly kind = 'file';
  readonly capabilities: VolumeDriverCapabilities;
  readonly #dir: string;
  readonly #format: FileVolumeFormat;
  readonly #host: string;
  readonly #pool: string;
  readonly #ratio: number;
  readonly #reserved: number;
  readonly #protocol: string;
  readonly #qemu: QemuImg;
  readonly #exports: NbdExports;
  #closed = false;

  protected constructor(opts: FileVolumeDriverOptions, dir: string) {
    this.#dir = dir;
    this.#format = opts.format ?? 'qcow2';
    this.#host = opts.host;
    this.#pool = opts.poolName ?? 'file';
    this.#ratio = opts.maxOverSubscriptionRatio ?? 20;
    this.#reserved = opts.reservedPercentage ?? 0;
    this.#protocol = opts.storageProtocol ?? 'NBD';
    this.#qemu = new QemuImg(opts.qemuImgBinary);
    this.#exports = new NbdExports(join(dir, 'exports'), opts.exportAddress ?? '127.0.0.1', opts.qemuNbdBinary);
    this.capabilities = Object.freeze({ thinProvisioning: this.#format === 'qcow2', revertToSnapshot: true, extendAttached: false, remoteAttach: true });
  }

  /** Make the directory, remove temporary files and stale exports of a previous run. Throws when qemu-img is missing. */
  static async create(opts: FileVolumeDriverOptions): Promise<FileVolumeDriver> {
    if (!QemuImg.available(opts.qemuImgBinary)) throw new VolumeBackendError('qemu-img is not installed (apt-get install qemu-utils)');
    const dir = resolve(opts.dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(dir)) if (name.startsWith(TMP)) await rm(join(dir, name), { force: true });
    const driver = new FileVolumeDriver(opts, dir);
    await driver.#exports.reapStale();
    return driver;
  }

  /** True when this machine has what the driver needs. */
  static available(qemuImgBinary?: string): boolean {
    return QemuImg.available(qemuImgBinary);
  }

  /** Where a volume's file is. */
  volumePath(volumeId: string): string {
    return join(this.#dir, `volume-${assertVolumeObjectId(volumeId, 'volume id')}.${this.#format === 'qcow2' ? 'qcow2' : 'raw'}`);
  }

  /** Exports running now (tests). */
  get exportCount(): number {
    return this.#exports.count;
  }

  async getStats(): Promise<BackendStats> {
    const fs = await statfs(this.#dir);
    const total = Math.floor((fs.blocks * fs.bsize) / GIB);
    const free = Math.min(total, Math.floor((fs.bavail * fs.bsize) / GIB));
    return {
      vendorName: 'Open Source',
      driverVersion: '1.0.0',
      storageProtocol: this.#protocol,
      pools: [
        {
          poolName: this.#pool,
          totalCapacityGb: Math.max(1, total),
          freeCapacityGb: Math.max(0, free),
          reservedPercentage: this.#reserved,
          maxOverSubscriptionRatio: this.#ratio,
          thinProvisioningSupport: this.#format === 'qcow2',
          thickProvisioningSupport: this.#format === 'raw',
          multiattach: true,
          extra: { volume_format: this.#format },
        },
      ],
    };
  }

  async createVolume(volume: VolumeRef, options: OperationOptions = {}): Promise<CreatedVolume> {
    const path = this.volumePath(volume.id);
    return this.#publish(path, async (tmp) => {
      const prealloc = this.#format === 'raw' ? ['-o', 'preallocation=falloc'] : [];
      await this.#qemu.run(['create', '-q', '-f', this.#format, ...prealloc, tmp, `${volume.size}G`], options);
    });
  }

  async createVolumeFromSnapshot(volume: VolumeRef, snapshot: SnapshotRef, options: OperationOptions = {}): Promise<CreatedVolume> {
    const path = this.volumePath(volume.id);
    const src = this.#snapshotSource(snapshot);
    if (!(await exists(src.path))) throw new VolumeDataNotFound('snapshot', snapshot.id);
    return this.#publish(path, async (tmp) => {
      await this.#qemu.run(['convert', '-U', '-f', src.format, ...(src.internal !== undefined ? ['-l', `snapshot.name=${src.internal}`] : []), '-O', this.#format, ...this.#convertOptions(), src.path, tmp], options);
      await this.#resize(tmp, volume.size, true, options);
    });
  }

  async createClonedVolume(volume: VolumeRef, source: VolumeRef, options: OperationOptions = {}): Promise<CreatedVolume> {
    const path = this.volumePath(volume.id);
    const src = this.volumePath(source.id);
    if (!(await exists(src))) throw new VolumeDataNotFound('volume', source.id);
    return this.#publish(path, async (tmp) => {
      await this.#qemu.run(['convert', '-U', '-f', this.#format, '-O', this.#format, ...this.#convertOptions(), src, tmp], options);
      await this.#resize(tmp, volume.size, false, options);
    });
  }

  async createVolumeFromImage(volume: VolumeRef, image: ImageSource, options: OperationOptions = {}): Promise<CreatedVolume> {
    const path = this.volumePath(volume.id);
    const qemuFormat = IMAGE_FORMATS[image.diskFormat];
    if (qemuFormat === undefined) throw new ImageUnacceptable(image.id, `disk format ${image.diskFormat} is not supported`);
    const download = join(this.#dir, `${TMP}image-${assertVolumeObjectId(volume.id, 'volume id')}`);
    try {
      await pipeline(await image.open(), createWriteStream(download), ...(options.signal !== undefined ? [{ signal: options.signal }] : []));
      let info;
      try {
        info = await this.#qemu.info(download, qemuFormat);
      } catch (err) {
        throw new ImageUnacceptable(image.id, `the data is not a ${image.diskFormat} image (${(err as Error).message})`);
      }
      // NOTE: a qcow2 naming a backing file could make qemu-img read any file on this host (OSSA-2015-014).
      if (info.backingFile !== undefined) throw new ImageUnacceptable(image.id, 'images with a backing file are not allowed');
      if (info.virtualSize > volume.size * GIB) throw new ImageTooBig(image.id, Math.ceil(info.virtualSize / GIB), volume.size);
      return await this.#publish(path, async (tmp) => {
        await this.#qemu.run(['convert', '-f', qemuFormat, '-O', this.#format, ...this.#convertOptions(), download, tmp], options);
        await this.#resize(tmp, volume.size, false, options);
      });
    } finally {
      await rm(download, { force: true });
    }
  }

  async copyVolumeToImage(volume: VolumeRef, sink: ImageSink, options: OperationOptions = {}): Promise<void> {
    const path = this.volumePath(volume.id);
    if (!(await exists(path))) throw new VolumeDataNotFound('volume', volume.id);
    const target = sink.diskFormat === 'qcow2' ? 'qcow2' : 'raw';
    if (target === this.#format && target === 'raw') {
      await sink.write(createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }));
      return;
    }
    const out = join(this.#dir, `${TMP}upload-${volume.id}-${process.hrtime.bigint()}`);
    try {
      await this.#qemu.run(['convert', '-U', '-f', this.#format, '-O', target, path, out], options);
      await sink.write(createReadStream(out, { highWaterMark: 4 * 1024 * 1024 }));
    } finally {
      await rm(out, { force: true });
    }
  }

  async extendVolume(volume: VolumeRef, newSize: number, options: OperationOptions = {}): Promise<void> {
    const path = this.volumePath(volume.id);
    if (!(await exists(path))) throw new VolumeDataNotFound('volume', volume.id);
    await this.#resize(path, newSize, false, options);
  }

  async deleteVolume(volume: VolumeRef): Promise<void> {
    const path = this.volumePath(volume.id);
    await this.#exports.stopVolume(volume.id);
    await rm(path, { force: true });
  }

  async createSnapshot(snapshot: SnapshotRef, volume: VolumeRef, options: OperationOptions = {}): Promise<CreatedSnapshot> {
    assertVolumeObjectId(snapshot.id, 'snapshot id');
    const path = this.volumePath(volume.id);
    if (!(await exists(path))) throw new VolumeDataNotFound('volume', volume.id);
    if (this.#format === 'qcow2') {
      try {
        await this.#qemu.run(['snapshot', '-c', `snapshot-${snapshot.id}`, path], options);
        return { location: `${path}#snapshot-${snapshot.id}` };
      } catch (err) {
        // NOTE: an exported (attached) volume is locked for writing; take a crash-consistent copy instead.
        if (!/lock/i.test((err as Error).message)) throw err;
      }
    }
    const file = this.#snapshotFile(snapshot.id);
    await this.#publishAt(file, async (tmp) => {
      await this.#qemu.run(['convert', '-U', '-f', this.#format, '-O', 'qcow2', path, tmp], options);
    });
    return { location: file };
  }

  async deleteSnapshot(snapshot: SnapshotRef, volume: VolumeRef): Promise<void> {
    const src = this.#snapshotSource(snapshot, volume.id);
    if (src.internal !== undefined) {
      if (!(await exists(src.path))) return;
      const info = await this.#qemu.info(src.path, 'qcow2', true);
      if (!info.snapshots.includes(src.internal)) return;
      await this.#qemu.run(['snapshot', '-d', src.internal, src.path]);
      return;
    }
    await rm(src.path, { force: true });
  }

  async revertToSnapshot(volume: VolumeRef, snapshot: SnapshotRef, options: OperationOptions = {}): Promise<void> {
    const path = this.volumePath(volume.id);
    const src = this.#snapshotSource(snapshot, volume.id);
    if (src.internal !== undefined) {
      await this.#qemu.run(['snapshot', '-a', src.internal, path], options);
      await this.#resize(path, volume.size, false, options);
      return;
    }
    await this.#replace(path, async (tmp) => {
      await this.#qemu.run(['convert', '-f', 'qcow2', '-O', this.#format, ...this.#convertOptions(), src.path, tmp], options);
      await this.#resize(tmp, volume.size, false, options);
    });
  }

  async initializeConnection(volume: VolumeRef, connector: Connector, attachmentId: string, options: ConnectionOptions = {}): Promise<ConnectionInfo> {
    const path = this.volumePath(volume.id);
    if (!(await exists(path))) throw new VolumeDataNotFound('volume', volume.id);
    const accessMode = options.readOnly === true ? 'ro' : 'rw';
    if (connector.host === this.#host) {
      return { driver_volume_type: 'file', data: { path, device_path: path, format: this.#format, volume_id: volume.id, access_mode: accessMode } };
    }
    const e = await this.#exports.ensure(attachmentId, volume.id, path, this.#format, options.readOnly === true);
    return {
      driver_volume_type: 'nbd',
      data: { host: e.host, port: e.port, export_name: e.exportName, name: e.exportName, format: 'raw', volume_id: volume.id, access_mode: e.readOnly ? 'ro' : 'rw' },
    };
  }

  async terminateConnection(_volume: VolumeRef, attachmentId: string): Promise<void> {
    await this.#exports.stop(attachmentId);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#exports.stopAll();
  }

  #convertOptions(): string[] {
    return this.#format === 'raw' ? ['-o', 'preallocation=falloc'] : [];
  }

  async #resize(path: string, size: number, allowShrink: boolean, options: OperationOptions): Promise<void> {
    const info = await this.#qemu.info(path, this.#format, true);
    const wanted = size * GIB;
    if (info.virtualSize === wanted) return;
    if (info.virtualSize > wanted && !allowShrink) throw new VolumeBackendError(`volume file is larger (${info.virtualSize} bytes) than ${size} GiB`);
    const prealloc = this.#format === 'raw' && info.virtualSize < wanted ? ['--preallocation=falloc'] : [];
    await this.#qemu.run(['resize', '-q', '-f', this.#format, ...prealloc, ...(info.virtualSize > wanted ? ['--shrink'] : []), path, `${size}G`], options);
  }

  /** Build a file at a temporary name and rename it to `path`; nothing is left behind on failure. */
  async #publish(path: string, build: (tmp: string) => Promise<void>): Promise<CreatedVolume> {
    if (await exists(path)) throw new VolumeBackendError('a volume file with this id already exists', { path });
    await this.#publishAt(path, build);
    return { location: path };
  }

  async #publishAt(path: string, build: (tmp: string) => Promise<void>): Promise<void> {
    if (this.#closed) throw new VolumeBackendError('the volume driver is closed');
    const tmp = join(this.#dir, `${TMP}${path.slice(this.#dir.length + 1)}`);
    try {
      await build(tmp);
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async #replace(path: string, build: (tmp: string) => Promise<void>): Promise<void> {
    await this.#publishAt(path, build);
  }

  #snapshotFile(snapshotId: string): string {
    return join(this.#dir, `snapshot-${assertVolumeObjectId(snapshotId, 'snapshot id')}.qcow2`);
  }

  /** Where a snapshot's data is: an internal qcow2 snapshot of its volume, or a file of its own. */
  #snapshotSource(snapshot: SnapshotRef, volumeId = snapshot.volumeId): { path: string; format: string; internal?: string } {
    assertVolumeObjectId(snapshot.id, 'snapshot id');
    const location = snapshot.location ?? '';
    const hash = location.lastIndexOf('#snapshot-');
    if (hash > 0) {
      const internal = location.slice(hash + 1);
      // Trust only what we derive from the ids, never a path from the database.
      if (internal !== `snapshot-${snapshot.id}`) throw new VolumeBackendError('snapshot location does not match its id', { snapshotId: snapshot.id });
      return { path: this.volumePath(volumeId), format: this.#format, internal };
    }
    if (location !== '' && resolve(location) !== this.#snapshotFile(snapshot.id)) throw new VolumeBackendError('snapshot location is outside the volume directory', { snapshotId: snapshot.id });
    return { path: this.#snapshotFile(snapshot.id), format: 'qcow2' };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

