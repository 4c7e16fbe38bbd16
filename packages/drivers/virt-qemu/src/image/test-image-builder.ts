/**
 * Builds Strata's small bootable test image from Debian's packages only: a Debian kernel,
 * busybox-static and dropbear (an SSH server, with the C library it links) in an initramfs, on an
 * MBR disk with a FAT partition booted by syslinux, so QEMU's firmware (SeaBIOS) boots it like
 * any cloud image.
 */
import { access, chmod, copyFile, lutimes, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, utimes, writeFile, constants } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { execFileRunner, type CommandRunner } from '../host-commands.js';
import { guestFiles, syslinuxConfig } from './guest-files.js';
import { resolveModules, TEST_IMAGE_MODULES } from './kernel-modules.js';
import { writeMbrDisk } from './mbr-disk.js';

/** The Debian packages the build needs on the host (besides apt and dpkg). */
export const TEST_IMAGE_BUILD_PACKAGES: readonly string[] = ['qemu-utils', 'syslinux', 'syslinux-common', 'mtools', 'dosfstools', 'cpio'];

/** The Debian packages whose files go into the image (downloaded with `apt-get download`, not installed). */
export const TEST_IMAGE_SOURCE_PACKAGES: readonly string[] = ['linux-image-cloud-amd64 (its current linux-image-*-cloud-amd64)', 'busybox-static', 'dropbear-bin and its libraries'];

/** dropbear's package and the packages of the shared libraries it loads. */
const SSH_PACKAGES = ['dropbear-bin', 'libc6', 'libcrypt1', 'libtomcrypt1', 'libtommath1', 'libgmp10', 'zlib1g'];
/** The libraries dropbear loads (directly or through libtomcrypt), with the dynamic loader. */
const SSH_LIBRARIES = ['ld-linux-x86-64.so.2', 'libc.so.6', 'libcrypt.so.1', 'libtomcrypt.so.1', 'libtommath.so.1', 'libgmp.so.10', 'libz.so.1'];
const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'];

/** Image properties to register the image with in glance, as a cloud image carries them. */
export const TEST_IMAGE_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({
  hw_disk_bus: 'virtio',
  hw_vif_model: 'virtio',
  hw_cdrom_bus: 'ide',
  os_distro: 'strata-test',
  os_type: 'linux',
  architecture: 'x86_64',
});
/** glance min_disk (GiB) and min_ram (MiB) for the test image. */
export const TEST_IMAGE_MIN_DISK_GB = 1;
export const TEST_IMAGE_MIN_RAM_MB = 64;

/** Options of buildTestImage. */
export interface BuildTestImageOptions {
  /** Where the qcow2 goes (written atomically). */
  readonly output: string;
  /** Build even when `output` exists. @default false */
  readonly force?: boolean;
  /** Where the scratch directory is made (needs ~500 MB for a moment). @default os.tmpdir() */
  readonly workDir?: string;
  /**
   * Kernel package to use. @default what `linux-image-cloud-amd64` depends on: Debian's kernel
   * for virtual machines, LZ4-compressed and lean, so it boots in half the time under TCG.
   */
  readonly kernelPackage?: string;
  /** Progress lines. @default none */
  readonly onProgress?: (message: string) => void;
  readonly signal?: AbortSignal;
  /** @default execFileRunner */
  readonly runner?: CommandRunner;
}

/** What buildTestImage did. */
export interface BuildTestImageResult {
  readonly path: string;
  /** false when the image was already there. */
  readonly built: boolean;
  /** Bytes of the qcow2 file. */
  readonly size: number;
  /** The kernel in the image (`6.1.0-56-amd64`); null when not built now. */
  readonly kernelRelease: string | null;
}

const MIB = 1024 * 1024;
const PARTITION_START_LBA = 2048;
/** Fixed time for every file, so two builds of the same packages give the same bytes (2024-01-01). */
const EPOCH = 1_704_067_200;
const TOOL_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const TOOLS: Readonly<Record<string, string>> = {
  'apt-get': 'apt',
  'apt-cache': 'apt',
  'dpkg-deb': 'dpkg',
  cpio: 'cpio',
  'mkfs.fat': 'dosfstools',
  mcopy: 'mtools',
  syslinux: 'syslinux',
  'qemu-img': 'qemu-utils',
};
const MBR_BIN = ['/usr/lib/syslinux/mbr/mbr.bin', '/usr/lib/SYSLINUX/mbr.bin', '/usr/share/syslinux/mbr.bin'];

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Absolute paths of the tools, or an error naming the Debian packages to install. */
async function findTools(): Promise<Record<string, string>> {
  const dirs = [...new Set([...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), ...TOOL_DIRS])];
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const tool of Object.keys(TOOLS)) {
    let path: string | undefined;
    for (const d of dirs) {
      try {
        await access(join(d, tool), constants.X_OK);
        path = join(d, tool);
        break;
      } catch {
        // next directory
      }
    }
    if (path === undefined) missing.push(`${tool} (Debian package ${TOOLS[tool] ?? '?'})`);
    else found[tool] = path;
  }
  if (missing.length > 0) throw new Error(`cannot build the test image, missing: ${missing.join(', ')}`);
  return found;
}

function tool(tools: Record<string, string>, name: string): string {
  const path = tools[name];
  if (path === undefined) throw new Error(`tool ${name} not found`);
  return path;
}

async function setEpoch(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      out.push(relative(root, p));
      if (e.isDirectory()) await walk(p);
      await lutimes(p, EPOCH, EPOCH);
    }
  };
  await walk(root);
  await utimes(root, EPOCH, EPOCH);
  return out.sort();
}

/** dropbear and the libraries it loads, from the extracted packages into the initramfs. */
async function copySshServer(pkgRoot: string, root: string): Promise<void> {
  await mkdir(join(root, 'usr/sbin'), { recursive: true });
  await copyFile(join(pkgRoot, 'usr/sbin/dropbear'), join(root, 'usr/sbin/dropbear'));
  await chmod(join(root, 'usr/sbin/dropbear'), 0o755);
  const libDir = join(root, LIB_DIRS[0] as string);
  await mkdir(libDir, { recursive: true });
  for (const lib of SSH_LIBRARIES) {
    const from = (await Promise.all(LIB_DIRS.map(async (d) => ((await exists(join(pkgRoot, d, lib))) ? join(pkgRoot, d, lib) : undefined)))).find((p) => p !== undefined);
    if (from === undefined) throw new Error(`cannot build the test image: ${lib} is in none of ${SSH_PACKAGES.join(', ')}`);
    // NOTE: copyFile follows the packages' soname symlinks, so the initramfs holds the files themselves.
    await copyFile(from, join(libDir, lib));
    await chmod(join(libDir, lib), 0o755);
  }
  // The program interpreter dropbear names.
  await mkdir(join(root, 'lib64'), { recursive: true });
  await symlink('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(root, 'lib64/ld-linux-x86-64.so.2'));
}

/**
 * Build the test image at `options.output` unless it is there (or `force`). Downloads the
 * kernel and busybox-static packages from the configured Debian mirror with `apt-get download`
 * (nothing from anywhere else), and leaves no scratch files behind.
 */
export async function buildTestImage(options: BuildTestImageOptions): Promise<BuildTestImageResult> {
  const output = options.output;
  if (!(options.force ?? false) && (await exists(output))) {
    return { path: output, built: false, size: (await stat(output)).size, kernelRelease: null };
  }
  const runner = options.runner ?? execFileRunner;
  const signal = options.signal;
  const progress = options.onProgress ?? ((): void => undefined);
  const tools = await findTools();
  const mbrBin = (await Promise.all(MBR_BIN.map(async (p) => ((await exists(p)) ? p : undefined)))).find((p) => p !== undefined);
  if (mbrBin === undefined) throw new Error('cannot build the test image: syslinux mbr.bin not found (Debian package syslinux-common)');

  const work = await mkdtemp(join(options.workDir ?? tmpdir(), 'strata-image-'));
  try {
    // 1. The packages, from Debian.
    let kernelPackage = options.kernelPackage;
    if (kernelPackage === undefined) {
      const deps = await runner.run(tool(tools, 'apt-cache'), ['depends', '--important', 'linux-image-cloud-amd64'], { signal });
      kernelPackage = /Depends: (linux-image-[0-9][^\s]*-amd64)\b/.exec(deps.stdout)?.[1];
      if (kernelPackage === undefined) throw new Error('apt-cache does not know linux-image-cloud-amd64; run apt-get update');
    }
    if (!/^linux-image-[0-9][A-Za-z0-9.+-]*$/.test(kernelPackage)) throw new Error(`not a kernel package name: ${kernelPackage}`);
    progress(`downloading ${kernelPackage}, busybox-static and dropbear`);
    const debs = join(work, 'debs');
    await mkdir(debs);
    const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
    const packages = [kernelPackage, 'busybox-static', ...SSH_PACKAGES];
    await runner.run(tool(tools, 'apt-get'), [...sandbox, '-q', 'download', ...packages], { cwd: debs, signal, timeoutMs: 600_000 });
    const files = await readdir(debs);
    const kernelDeb = files.find((f) => f.startsWith(`${kernelPackage}_`) && f.endsWith('.deb'));
    const packageDebs = packages.map((name) => files.find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb')));
    const missingDebs = packages.filter((_, i) => packageDebs[i] === undefined);
    if (kernelDeb === undefined || missingDebs.length > 0) throw new Error(`apt-get download did not leave ${missingDebs.join(', ')} in ${debs}`);

    progress('extracting');
    const pkgRoot = join(work, 'pkg');
    for (const deb of packageDebs) await runner.run(tool(tools, 'dpkg-deb'), ['-x', join(debs, deb as string), pkgRoot], { signal });
    await rm(debs, { recursive: true, force: true });
    const vmlinuzName = (await readdir(join(pkgRoot, 'boot'))).find((f) => f.startsWith('vmlinuz-'));
    if (vmlinuzName === undefined) throw new Error(`${kernelDeb} has no /boot/vmlinuz-*`);
    const kernelRelease = vmlinuzName.slice('vmlinuz-'.length);
    const modulesDir = (await exists(join(pkgRoot, 'lib/modules', kernelRelease))) ? join(pkgRoot, 'lib/modules', kernelRelease) : join(pkgRoot, 'usr/lib/modules', kernelRelease);

    // 2. The initramfs: busybox, the modules and the init scripts.
    progress(`assembling the initramfs (kernel ${kernelRelease})`);
    const modules = await resolveModules(modulesDir, TEST_IMAGE_MODULES);
    const root = join(work, 'initramfs');
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'run', 'tmp', 'mnt', 'root', 'var', 'lib/modules']) {
      await mkdir(join(root, d), { recursive: true });
    }
    const busybox = join(pkgRoot, 'bin/busybox');
    await copyFile(busybox, join(root, 'bin/busybox'));
    await chmod(join(root, 'bin/busybox'), 0o755);
    const applets = (await runner.run(busybox, ['--list-full'], { signal })).stdout.split('\n').filter((l) => /^[a-z/]+\/[A-Za-z0-9_.[\]-]+$/.test(l));
    for (const applet of applets) {
      if (applet === 'bin/busybox') continue;
      await mkdir(join(root, dirname(applet)), { recursive: true });
      await symlink(relative(dirname(join(root, applet)), join(root, 'bin/busybox')), join(root, applet));
    }
    await copySshServer(pkgRoot, root);
    for (const m of modules) {
      const to = join(root, 'lib/modules', m);
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(modulesDir, m), to);
    }
    for (const f of guestFiles({ kernelRelease, modules })) {
      const to = join(root, f.path);
      await mkdir(dirname(to), { recursive: true });
      await writeFile(to, f.content, { mode: f.mode });
      await chmod(to, f.mode);
    }
    const list = await setEpoch(root);
    const cpioPath = join(work, 'initrd.cpio');
    await runner.run(tool(tools, 'cpio'), ['-o', '-H', 'newc', '-R', '0:0', '--reproducible', '--quiet', '-O', cpioPath], { cwd: root, input: `${list.join('\n')}\n`, signal });
    const boot = join(work, 'boot');
    await mkdir(boot);
    await pipeline(createReadStream(cpioPath), createGzip({ level: zlibConstants.Z_BEST_COMPRESSION }), createWriteStream(join(boot, 'initrd.gz')), { signal });
    await copyFile(join(pkgRoot, 'boot', vmlinuzName), join(boot, 'vmlinuz'));
    await writeFile(join(boot, 'syslinux.cfg'), syslinuxConfig());
    await rm(pkgRoot, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
    for (const f of ['initrd.gz', 'vmlinuz', 'syslinux.cfg']) await utimes(join(boot, f), EPOCH, EPOCH);

    // 3. The FAT partition, made bootable by syslinux on the unmounted image.
    progress('making the FAT partition and installing syslinux');
    let payload = 0;
    for (const f of await readdir(boot)) payload += (await stat(join(boot, f))).size;
    const partitionBytes = Math.max(32 * MIB, Math.ceil((payload + 4 * MIB) / MIB) * MIB);
    const part = join(work, 'part.img');
    await runner.run(tool(tools, 'mkfs.fat'), ['-C', '-F', '16', '-n', 'STRATA', '-i', '53545241', '--invariant', '-h', String(PARTITION_START_LBA), part, String(partitionBytes / 1024)], { signal });
    const mtoolsEnv = { MTOOLS_SKIP_CHECK: '1', SOURCE_DATE_EPOCH: String(EPOCH) };
    for (const f of ['vmlinuz', 'initrd.gz', 'syslinux.cfg']) {
      await runner.run(tool(tools, 'mcopy'), ['-i', part, '-m', join(boot, f), `::/${f}`], { signal, env: mtoolsEnv });
    }
    await runner.run(tool(tools, 'syslinux'), ['--install', part], { signal, env: mtoolsEnv });

    // 4. The disk: MBR with syslinux's boot code, the partition at 1 MiB; then qcow2.
    progress('writing the disk');
    const raw = join(work, 'disk.raw');
    const bootCode = (await readFile(mbrBin)).subarray(0, 440);
    await writeMbrDisk(raw, part, bootCode, PARTITION_START_LBA);
    await rm(part);
    await mkdir(dirname(output), { recursive: true });
    const tmpOut = `${output}.tmp-${process.pid}`;
    try {
      await runner.run(tool(tools, 'qemu-img'), ['convert', '-q', '-f', 'raw', '-O', 'qcow2', '-c', raw, tmpOut], { signal, timeoutMs: 300_000 });
      await rename(tmpOut, output);
    } finally {
      await rm(tmpOut, { force: true });
    }
    const size = (await stat(output)).size;
    progress(`built ${output} (${(size / MIB).toFixed(1)} MiB, kernel ${kernelRelease})`);
    return { path: output, built: true, size, kernelRelease };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
