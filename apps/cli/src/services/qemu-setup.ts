/**
 * What the all-in-one does for real VMs: choose the hypervisor driver (`[compute] driver = auto`
 * picks QEMU where it runs), place the QEMU driver's per-guest state, and build and register
 * Strata's bootable test image in glance on first start.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ImageClient } from '@strata/clients';
import type { Logger } from '@strata/log';

const run = promisify(execFile);

/** The glance name the test image is registered under. */
export const TEST_IMAGE_NAME = 'strata-test';

/** Where `strata up` (and `npm run build-image`) keep the test image: `<data-dir>/images/strata-test.qcow2`. */
export function testImagePath(dataDir: string): string {
  return join(dataDir, 'images', 'strata-test.qcow2');
}

const resolved = new Map<string, Promise<'fake' | 'qemu'>>();

/**
 * The driver this host runs. `auto`: qemu when `qemu-system-x86_64 --version` runs, else fake
 * (said in the log). Resolved once per process.
 */
export function resolveComputeDriver(configured: string, logger: Logger): Promise<'fake' | 'qemu'> {
  if (configured === 'fake' || configured === 'qemu') return Promise.resolve(configured);
  let p = resolved.get(configured);
  if (p === undefined) {
    p = (async (): Promise<'fake' | 'qemu'> => {
      try {
        const { stdout } = await run('qemu-system-x86_64', ['--version'], { timeout: 10_000 });
        logger.info({ qemu: stdout.split('\n')[0] }, '[compute] driver = auto: QEMU runs here, servers are real virtual machines');
        return 'qemu';
      } catch {
        logger.info({}, '[compute] driver = auto: qemu-system-x86_64 is not installed, servers are fake (install qemu-system-x86 for real VMs)');
        return 'fake';
      }
    })();
    resolved.set(configured, p);
  }
  return p;
}

/**
 * The QEMU driver's state directory: `<data-dir>/vms`, or, when that path is too long for the
 * guests' unix sockets (57 bytes), a directory under the system's temporary directory named
 * after a hash of the data dir (so a restart finds the guests again).
 */
export function qemuInstancesPath(dataDir: string): string {
  const preferred = join(resolve(dataDir), 'vms');
  if (Buffer.byteLength(preferred) <= 57 && !preferred.includes(',')) return preferred;
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join(tmpdir(), `strata-vms-${hash}`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Build the test image when it is missing (progress in the log), then register it in glance as
 * a public image with a cloud image's properties unless an image of that name is there already.
 * Failures are logged, never fatal: the cloud runs without the image.
 */
export async function provideTestImage(opts: { dataDir: string; glanceUrl: string; token: () => Promise<string>; logger: Logger }): Promise<void> {
  const log = opts.logger.child({ component: 'test-image' });
  const path = testImagePath(opts.dataDir);
  const qemu = await import('@strata/virt-qemu');
  try {
    if (!(await exists(path))) {
      log.info({ path }, 'building the test image (first start with QEMU)');
      const started = Date.now();
      const r = await qemu.buildTestImage({ output: path, onProgress: (m) => log.info({}, `test image: ${m}`) });
      log.info({ path, size: r.size, kernel: r.kernelRelease, ms: Date.now() - started }, 'test image built');
    }
    const token = await opts.token();
    const glance = new ImageClient(opts.glanceUrl);
    const existing = await glance.listImages(token, { name: TEST_IMAGE_NAME });
    if (existing.some((i) => i.status === 'active')) return;
    const image = await glance.createImage(token, {
      name: TEST_IMAGE_NAME,
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'public',
      min_disk: qemu.TEST_IMAGE_MIN_DISK_GB,
      min_ram: qemu.TEST_IMAGE_MIN_RAM_MB,
      ...qemu.TEST_IMAGE_PROPERTIES,
    });
    await glance.uploadData(token, String(image.id), createReadStream(path));
    log.info({ imageId: image.id, name: TEST_IMAGE_NAME }, 'test image registered in glance');
  } catch (err) {
    log.warn({ err, path }, 'no test image: it could not be built or registered (see `npm run build-image`)');
  }
}
