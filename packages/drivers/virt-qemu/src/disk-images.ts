/** qemu-img operations the driver needs: inspect a base image, make overlays and blank disks, convert for snapshots. */
import type { ImageFormat } from '@strata/virt';
import { ImageUnacceptable } from '@strata/virt';
import type { CommandRunner } from './host-commands.js';

/** What `qemu-img info` says of an image. */
export interface DiskImageInfo {
  readonly format: string;
  readonly virtualSize: number;
  readonly actualSize: number;
  readonly backingFile: string | null;
  /** qcow2 with an external data file. */
  readonly dataFile: string | null;
}

/** The qemu-img calls, bound to a binary and a runner. */
export class DiskImages {
  readonly #runner: CommandRunner;
  readonly #qemuImg: string;

  constructor(runner: CommandRunner, qemuImg: string) {
    this.#runner = runner;
    this.#qemuImg = qemuImg;
  }

  /**
   * Inspect an image. `format` forces the format (no probing); without it qemu-img probes.
   * Uses force-share, so it also works on disks a running QEMU holds.
   */
  async info(path: string, format?: ImageFormat, signal?: AbortSignal): Promise<DiskImageInfo> {
    const args = ['info', '--output=json', '-U', ...(format !== undefined ? ['-f', format] : []), path];
    const out = await this.#runner.run(this.#qemuImg, args, { signal, timeoutMs: 60_000 });
    const j = JSON.parse(out.stdout) as {
      format?: string;
      'virtual-size'?: number;
      'actual-size'?: number;
      'backing-filename'?: string;
      'format-specific'?: { data?: { 'data-file'?: string } };
    };
    return {
      format: j.format ?? 'unknown',
      virtualSize: j['virtual-size'] ?? 0,
      actualSize: j['actual-size'] ?? 0,
      backingFile: j['backing-filename'] ?? null,
      dataFile: j['format-specific']?.data?.['data-file'] ?? null,
    };
  }

  /**
   * Check a cached base image the way nova's image cache does: its real format is the one
   * declared (a "raw" image that is really qcow2 could name host files as backing), and it has
   * no backing or data file of its own. Returns its virtual size. Throws ImageUnacceptable.
   */
  async checkBaseImage(path: string, declared: ImageFormat, signal?: AbortSignal): Promise<number> {
    let probed: DiskImageInfo;
    try {
      probed = await this.info(path, undefined, signal);
    } catch (err) {
      throw new ImageUnacceptable(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (probed.format !== declared) throw new ImageUnacceptable(`it is declared ${declared} but its data is ${probed.format}`);
    if (probed.backingFile !== null) throw new ImageUnacceptable('it has a backing file');
    if (probed.dataFile !== null) throw new ImageUnacceptable('it has an external data file');
    return probed.virtualSize;
  }

  /** A qcow2 overlay at `path` on `base`; `sizeBytes` grows it beyond the base (undefined: the base's size). */
  async createOverlay(path: string, base: string, baseFormat: ImageFormat, sizeBytes: number | undefined, signal?: AbortSignal): Promise<void> {
    const args = ['create', '-q', '-f', 'qcow2', '-F', baseFormat, '-b', base, path, ...(sizeBytes !== undefined ? [String(sizeBytes)] : [])];
    await this.#runner.run(this.#qemuImg, args, { signal, timeoutMs: 60_000 });
  }

  /** A blank qcow2 disk of `sizeBytes`. */
  async createBlank(path: string, sizeBytes: number, signal?: AbortSignal): Promise<void> {
    await this.#runner.run(this.#qemuImg, ['create', '-q', '-f', 'qcow2', path, String(sizeBytes)], { signal, timeoutMs: 60_000 });
  }

  /** Grow the image at `path` to `sizeBytes` (the guest's partitions stay as they are). */
  async resize(path: string, format: ImageFormat, sizeBytes: number, signal?: AbortSignal): Promise<void> {
    await this.#runner.run(this.#qemuImg, ['resize', '-q', '-f', format, path, String(sizeBytes)], { signal, timeoutMs: 60_000 });
  }

  /** Copy `source` (flattening its backing chain) to a new image `target` in `targetFormat`. */
  async convert(source: string, sourceFormat: ImageFormat, target: string, targetFormat: ImageFormat, signal?: AbortSignal): Promise<void> {
    await this.#runner.run(this.#qemuImg, ['convert', '-q', '-U', '-f', sourceFormat, '-O', targetFormat, source, target], { signal, timeoutMs: 3_600_000 });
  }
}
