// QemuDriver options: defaults, frozen result, and every bad value refused with a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQemuDriverConfig } from './qemu-driver-config.js';
import { parseCpuInfo } from './host-cpu-info.js';

test('defaults are applied and the result is frozen', () => {
  const c = compileQemuDriverConfig({ instancesPath: '/var/lib/strata/instances' });
  assert.equal(c.qemuBinary, 'qemu-system-x86_64');
  assert.equal(c.accel, 'auto');
  assert.equal(c.machineType, 'pc');
  assert.equal(c.shutdownTimeoutMs, 60_000);
  assert.equal(c.rebootTimeoutMs, 120_000);
  assert.equal(c.vncListen, '127.0.0.1');
  assert.deepEqual(c.vncDisplays, { first: 0, last: 99 });
  assert.equal(c.userNetworkRestrict, false);
  assert.ok(Object.isFrozen(c));
});

test('bad values are refused', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ instancesPath: 'relative' }, /instancesPath/],
    [{ instancesPath: `/${'x'.repeat(60)}` }, /longer than 57 bytes/],
    [{ instancesPath: '/a,b' }, /comma/],
    [{ instancesPath: '/i', accel: 'hvf' }, /accel/],
    [{ instancesPath: '/i', machineType: 'virt' }, /machineType/],
    [{ instancesPath: '/i', cpuModel: 'host,+vmx' }, /cpuModel/],
    [{ instancesPath: '/i', vncListen: 'localhost' }, /vncListen/],
    [{ instancesPath: '/i', vncDisplays: { first: 10, last: 5 } }, /vncDisplays/],
    [{ instancesPath: '/i', shutdownTimeoutMs: -1 }, /shutdownTimeoutMs/],
    [{ instancesPath: '/i', qemuBinary: 'qemu; rm -rf /' }, /qemuBinary/],
  ];
  for (const [cfg, re] of bad) assert.throws(() => compileQemuDriverConfig(cfg as never), re, JSON.stringify(cfg));
});

test('cpu_info from /proc/cpuinfo', () => {
  const text = ['processor\t: 0', 'vendor_id\t: GenuineIntel', 'model name\t: Intel(R) Xeon(R)', 'physical id\t: 0', 'siblings\t: 4', 'cpu cores\t: 2', 'flags\t\t: fpu vme sse2', '', 'processor\t: 1', 'physical id\t: 0', ''].join('\n');
  assert.deepEqual(parseCpuInfo(text), { arch: 'x86_64', model: 'Intel(R) Xeon(R)', vendor: 'GenuineIntel', topology: { sockets: 1, cores: 2, threads: 2 }, features: ['fpu', 'vme', 'sse2'] });
});
