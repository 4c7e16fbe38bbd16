/**
 * Test helper, run by tap-networking.test.ts inside a network namespace of its own
 * (`unshare --net`): a bridge with a DHCP server (busybox udhcpd), a guest on a tap the driver
 * creates, an HTTP request to the guest, an SSH login with the key its metadata carries, destroy.
 * Prints one JSON line with what it saw.
 * Usage: node --import tsx tap-guest-in-netns.ts <image> <instancesPath> <scratchDir>
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileRunner } from '../host-commands.js';
import { QemuDriver } from '../qemu-driver.js';

const [image, instancesPath, scratch] = process.argv.slice(2);
if (image === undefined || instancesPath === undefined || scratch === undefined) throw new Error('usage: tap-guest-in-netns.ts <image> <instancesPath> <scratchDir>');
const ip = (...args: string[]): Promise<unknown> => execFileRunner.run('ip', args);
const exists = async (dev: string): Promise<boolean> => (await readFile('/proc/self/net/dev', 'utf8')).includes(`${dev}:`);

await ip('link', 'set', 'lo', 'up');
await ip('link', 'add', 'brstrata0', 'type', 'bridge');
await ip('addr', 'add', '10.99.0.1/24', 'dev', 'brstrata0');
await ip('link', 'set', 'brstrata0', 'up');
const conf = join(scratch, 'udhcpd.conf');
await writeFile(conf, ['start 10.99.0.10', 'end 10.99.0.20', 'interface brstrata0', `lease_file ${join(scratch, 'leases')}`, `pidfile ${join(scratch, 'udhcpd.pid')}`, 'option subnet 255.255.255.0', 'option router 10.99.0.1', ''].join('\n'));
await writeFile(join(scratch, 'leases'), '');
const dhcpd = spawn('busybox', ['udhcpd', '-f', conf], { stdio: 'ignore' });
const key = join(scratch, 'id_ed25519');
await execFileRunner.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'strata-test', '-f', key]);
const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();

const portId = randomUUID();
const tapName = `tap${portId.slice(0, 11)}`;
const uuid = randomUUID();
const driver = await QemuDriver.create({ instancesPath, accel: 'tcg' });
const result: Record<string, unknown> = { tapName, tapBefore: await exists(tapName) };
try {
  await driver.init('netns-host');
  await driver.spawn({
    instance: { uuid, name: 'instance-tap', vcpus: 1, memoryMb: 128, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {}, imageProperties: {} },
    image: { path: image, format: 'qcow2' },
    networkInfo: [{ portId, mac: 'fa:16:3e:99:00:01', tapName, bridge: 'brstrata0', mtu: 1500, ips: [] }],
    blockDeviceInfo: [],
    configDrive: {
      metaData: { uuid, hostname: 'tapguest', public_keys: { 'strata-test': publicKey } },
      userData: Buffer.from('#!/bin/sh\nmkdir -p /www\necho "hello from $(hostname)" > /www/index.html\nhttpd -p 8080 -h /www\n').toString('base64'),
    },
  });
  result.tapMaster = (await execFileRunner.run('ip', ['-o', 'link', 'show', 'dev', tapName])).stdout.includes('master brstrata0');
  const deadline = Date.now() + 90_000;
  let address: string | undefined;
  while (Date.now() < deadline && address === undefined) {
    address = /addresses: eth0 (10\.99\.0\.\d+)\/24/.exec(await driver.getConsoleOutput(uuid))?.[1];
    if (address === undefined) await sleep(200);
  }
  result.address = address ?? null;
  if (address !== undefined) {
    for (let i = 0; i < 50 && result.body === undefined; i++) {
      try {
        result.body = await (await fetch(`http://${address}:8080/`, { signal: AbortSignal.timeout(2000) })).text();
      } catch {
        await sleep(200);
      }
    }
  }
  if (address !== undefined) {
    const ssh = ['-i', key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `root@${address}`, 'hostname; id -u'];
    for (let i = 0; i < 20 && result.ssh === undefined; i++) {
      try {
        result.ssh = (await execFileRunner.run('ssh', ssh, { timeoutMs: 60_000 })).stdout;
      } catch (err) {
        result.sshError = String(err);
        await sleep(500);
      }
    }
  }
  result.console = (await driver.getConsoleOutput(uuid)).slice(-1500);
  await driver.destroy(uuid);
  result.tapAfter = await exists(tapName);
} finally {
  await driver.destroy(uuid).catch(() => undefined);
  await driver.close();
  dhcpd.kill('SIGKILL');
}
process.stdout.write(`${JSON.stringify(result)}\n`);
