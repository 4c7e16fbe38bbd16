/** Runs qemu-img with an argument array (never a shell string) and turns its failures into VolumeBackendError. */
import { execFile, spawnSync } from 'node:child_process';
import { VolumeBackendError } from '@strata/volume';

/** What `qemu-img info --output=json` says about an image (the fields the driver reads). */
export interface QemuImageInfo {
  readonly format: string;
  readonly virtualSize: number;
  readonly actualSize: number;
  readonly backingFile: string | undefined;
  readonly snapshots: readonly string[];
}

/** Options of one qemu-img run. */
export interface RunOptions {
  readonly signal?: AbortSignal;
  /** @default 3600000 (an hour: converting a large image takes long) */
  readonly timeoutMs?: number;
}

/** The qemu-img binary and how it is run. */
export class QemuImg {
  readonly #binary: string;

  constructor(binary = 'qemu-img') {
    this.#binary = binary;
  }

  /** True when the binary runs. */
  static available(binary = 'qemu-img'): boolean {
    try {
      return spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
    } catch {
      return false;
    }
  }

  /** Run `qemu-img <args>`; resolves to stdout. Throws VolumeBackendError with stderr on a non-zero exit. */
  run(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.#binary,
        [...args],
        { timeout: options.timeoutMs ?? 3_600_000, maxBuffer: 16 * 1024 * 1024, ...(options.signal !== undefined ? { signal: options.signal } : {}), env: { ...process.env, LC_ALL: 'C' } },
        (err, stdout, stderr) => {
          if (err === null) return resolve(stdout);
          const detail = (stderr || err.message).trim().split('\n').slice(-3).join(' ');
          reject(new VolumeBackendError(`qemu-img ${args[0] ?? ''} failed: ${detail}`, { command: args[0] ?? '' }, { cause: err }));
        },
      );
    });
  }

  /** `qemu-img info` of a file; `format` pins the format instead of probing it. `forceShare` reads a file in use. */
  async info(path: string, format?: string, forceShare = false): Promise<QemuImageInfo> {
    const args = ['info', '--output=json', ...(forceShare ? ['-U'] : []), ...(format !== undefined ? ['-f', format] : []), path];
    const raw = JSON.parse(await this.run(args, { timeoutMs: 60_000 })) as {
      format?: string;
      'virtual-size'?: number;
      'actual-size'?: number;
      'backing-filename'?: string;
      'full-backing-filename'?: string;
      snapshots?: Array<{ name?: string }>;
    };
    return {
      format: raw.format ?? 'raw',
      virtualSize: raw['virtual-size'] ?? 0,
      actualSize: raw['actual-size'] ?? 0,
      backingFile: raw['full-backing-filename'] ?? raw['backing-filename'],
      snapshots: (raw.snapshots ?? []).map((s) => s.name ?? '').filter((n) => n !== ''),
    };
  }
}
