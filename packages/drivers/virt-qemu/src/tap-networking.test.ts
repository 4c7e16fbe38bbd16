// A guest on a real tap: inside a network namespace the test owns, the driver creates the tap on
// a bridge, the guest gets an address by DHCP and serves HTTP to the host side; destroy removes the tap.
// Needs root, unshare, busybox (udhcpd), QEMU and the image tools; skipped otherwise unless STRATA_REQUIRE_SERVICES=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onPath, servicesRequired } from '@strata/testing';
import { cachedTestImage } from './testing/test-image-cache.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Installed in a system directory (the test runs as root; PATH may lack the sbin ones). */
const has = (name: string): boolean => onPath(name, '/usr/bin:/bin:/usr/sbin:/sbin');

async function skipReason(): Promise<string | false> {
  const missing: string[] = [];
  for (const n of ['qemu-system-x86_64', 'qemu-img', 'unshare', 'busybox', 'ip', 'mkfs.fat', 'mcopy', 'syslinux', 'cpio', 'ssh', 'ssh-keygen']) if (!has(n)) missing.push(n);
  if (!has('xorriso') && !has('genisoimage')) missing.push('xorriso');
  const root = process.getuid?.() === 0;
  if (missing.length === 0 && root) return false;
  const message = root ? `missing ${missing.join(', ')}` : 'not root (network namespaces and taps need it)';
  if (servicesRequired()) throw new Error(`${message}, and STRATA_REQUIRE_SERVICES=1 requires it`);
  return `${message}: skipped`;
}

const SKIP = await skipReason();

test('a guest on a tap in a bridge gets DHCP and answers; destroy removes the tap', { skip: SKIP, timeout: 180_000 }, async () => {
  const image = await cachedTestImage();
  const instancesPath = await mkdtemp(join(tmpdir(), 'strata-vqn-'));
  const scratch = await mkdtemp(join(tmpdir(), 'strata-vqn-scratch-'));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'unshare',
        ['--net', '--', process.execPath, '--import', 'tsx', join(here, 'testing', 'tap-guest-in-netns.ts'), image, instancesPath, scratch],
        { timeout: 170_000, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    assert.equal(r.tapBefore, false, 'the tap did not exist before spawn');
    assert.equal(r.tapMaster, true, 'the driver enslaved the tap to the bridge');
    assert.match(String(r.address), /^10\.99\.0\.(1\d|20)$/, `the banner shows a DHCP address; console:\n${String(r.console)}`);
    assert.equal(r.body, 'hello from tapguest\n', 'the guest answered over the tap');
    assert.match(String(r.console), /ssh: port 22/, 'the banner names the SSH server');
    assert.equal(r.ssh, 'tapguest\n0\n', `root logged in over SSH with the metadata's key (${String(r.sshError)})`);
    assert.equal(r.tapAfter, false, 'destroy removed the tap it created');
  } finally {
    for (const p of await readdir('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes(instancesPath)) process.kill(Number(p), 'SIGKILL');
    }
    await rm(instancesPath, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  }
});
