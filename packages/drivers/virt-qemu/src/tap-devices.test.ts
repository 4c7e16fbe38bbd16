// TapDevices with a recording runner and a fake /proc/net/dev: exact `ip` argument arrays, create only when missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner } from './host-commands.js';
import { TapDevices } from './tap-devices.js';

function recorder(): { runner: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, runner: { run: async (cmd, args) => (calls.push([cmd, ...args]), { stdout: '', stderr: '' }) } };
}

test('ensure creates a missing tap, then MTU, bridge and up; remove deletes it', async () => {
  const sys = await mkdtemp(join(tmpdir(), 'sysnet-'));
  const dev = join(sys, 'dev');
  await writeFile(dev, 'Inter-|   Receive\n face |bytes\n    lo: 0 0\n  eth0: 1 2\n');
  try {
    const { runner, calls } = recorder();
    const taps = new TapDevices(runner, '/usr/sbin/ip', dev);
    assert.equal(await taps.ensure('tap5e1a0c3d-2b', { bridge: 'brq5e1a0c3d-2b', mtu: 1450 }), true);
    assert.deepEqual(calls, [
      ['/usr/sbin/ip', 'tuntap', 'add', 'dev', 'tap5e1a0c3d-2b', 'mode', 'tap'],
      ['/usr/sbin/ip', 'link', 'set', 'dev', 'tap5e1a0c3d-2b', 'mtu', '1450'],
      ['/usr/sbin/ip', 'link', 'set', 'dev', 'tap5e1a0c3d-2b', 'master', 'brq5e1a0c3d-2b'],
      ['/usr/sbin/ip', 'link', 'set', 'dev', 'tap5e1a0c3d-2b', 'up'],
    ]);
    calls.length = 0;
    await appendFile(dev, 'tap5e1a0c3d-2b: 0 0\n');
    assert.equal(await taps.ensure('tap5e1a0c3d-2b', { bridge: null, mtu: null }), false, 'an existing tap is not created again');
    assert.deepEqual(calls, [['/usr/sbin/ip', 'link', 'set', 'dev', 'tap5e1a0c3d-2b', 'up']]);
    calls.length = 0;
    await taps.remove('tap5e1a0c3d-2b');
    assert.deepEqual(calls, [['/usr/sbin/ip', 'link', 'delete', 'dev', 'tap5e1a0c3d-2b']]);
    calls.length = 0;
    await taps.remove('tap00000000-00');
    assert.deepEqual(calls, [], 'a missing tap is not deleted');
  } finally {
    await rm(sys, { recursive: true, force: true });
  }
});

test('names are checked before anything runs', async () => {
  const { runner, calls } = recorder();
  const taps = new TapDevices(runner, 'ip', '/nonexistent');
  await assert.rejects(taps.ensure('eth0', { bridge: null, mtu: null }), /tapName/);
  await assert.rejects(taps.ensure('tap1; reboot', { bridge: null, mtu: null }), /tapName/);
  await assert.rejects(taps.ensure('tapabc', { bridge: 'br0 up', mtu: null }), /bridge/);
  await assert.rejects(taps.remove('lo'), /tapName/);
  assert.deepEqual(calls.filter((c) => c.includes('add') || c.includes('delete')), []);
});

test('a tap it created is removed again when wiring it fails', async () => {
  const sys = await mkdtemp(join(tmpdir(), 'sysnet-'));
  const dev = join(sys, 'dev');
  await writeFile(dev, '    lo: 0 0\n');
  try {
    const calls: string[][] = [];
    const runner: CommandRunner = {
      run: async (cmd, args) => {
        calls.push([cmd, ...args]);
        if (args.includes('master')) throw new Error('no such bridge');
        if (args[1] === 'add') await appendFile(dev, 'tapfeed: 0 0\n');
        return { stdout: '', stderr: '' };
      },
    };
    await assert.rejects(new TapDevices(runner, 'ip', dev).ensure('tapfeed', { bridge: 'brx', mtu: null }), /no such bridge/);
    assert.deepEqual(calls.at(-1), ['ip', 'link', 'delete', 'dev', 'tapfeed']);
  } finally {
    await rm(sys, { recursive: true, force: true });
  }
});
