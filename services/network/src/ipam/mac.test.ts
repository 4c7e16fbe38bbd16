import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateMac, normalizeMac } from './mac.js';

test('generated MACs keep the base prefix and are valid unicast', () => {
  const macs = new Set(Array.from({ length: 100 }, () => generateMac('FA:16:3E:00:00:00')));
  for (const m of macs) {
    assert.match(m, /^fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
    assert.equal(normalizeMac(m), m);
  }
  assert.ok(macs.size > 90);
});

test('MAC validation: case, dashes, multicast and zero', () => {
  assert.equal(normalizeMac('FA-16-3E-AA-BB-CC'), 'fa:16:3e:aa:bb:cc');
  assert.equal(normalizeMac('01:00:5e:00:00:01'), undefined);
  assert.equal(normalizeMac('ff:ff:ff:ff:ff:ff'), undefined);
  assert.equal(normalizeMac('00:00:00:00:00:00'), undefined);
  assert.equal(normalizeMac('fa:16:3e:aa:bb'), undefined);
  assert.equal(normalizeMac(42), undefined);
});
