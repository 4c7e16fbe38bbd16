import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knownServicePassword } from './service-users.js';

test('a configured service password wins over a stored one; else the stored one; else none (bootstrap generates)', () => {
  const stored = { nova: 'kept-nova', glance: 'kept-glance' };
  assert.equal(knownServicePassword({ name: 'nova', configuredPassword: 'from-config' }, stored), 'from-config');
  assert.equal(knownServicePassword({ name: 'nova', configuredPassword: '' }, stored), 'kept-nova');
  assert.equal(knownServicePassword({ name: 'cinder', configuredPassword: '' }, stored), undefined);
  assert.equal(knownServicePassword({ name: 'cinder', configuredPassword: 'set' }, {}), 'set');
});
