// The KVM probe guest really runs through real, protected and long mode (checked under TCG), and the probe decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { probeAccel, probeBootSector } from './accel-probe.js';

const qemu = await access('/usr/bin/qemu-system-x86_64').then(() => true, () => false);

test('the probe boot sector is a 512-byte boot sector', () => {
  const s = probeBootSector();
  assert.equal(s.length, 512);
  assert.deepEqual([s[510], s[511]], [0x55, 0xaa]);
  assert.equal(s[0], 0xfa, 'starts with cli');
});

test('the probe guest prints its success line under TCG', { skip: qemu ? false : 'qemu-system-x86_64 is not installed' }, async () => {
  assert.deepEqual(await probeAccel({ accel: 'tcg', timeoutMs: 10_000 }), { accel: 'tcg' });
});

test('no /dev/kvm: TCG, with the reason', async () => {
  const r = await probeAccel({ kvmDevice: '/nonexistent/kvm' });
  assert.equal(r.accel, 'tcg');
  assert.match(r.reason ?? '', /nonexistent\/kvm is missing/);
});

test('KVM only when the probe guest runs under it', { skip: qemu ? false : 'qemu-system-x86_64 is not installed' }, async () => {
  const r = await probeAccel({ timeoutMs: 5000 });
  assert.ok(r.accel === 'kvm' ? r.reason === undefined : typeof r.reason === 'string');
});
