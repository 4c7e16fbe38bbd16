import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiVersion, MAX_VERSION, requestedVersion } from './microversion.js';

test('no header is 3.0; latest is the maximum; both header spellings work, the modern one wins', () => {
  assert.equal(requestedVersion({}).toString(), '3.0');
  assert.equal(requestedVersion({ 'openstack-api-version': 'volume latest' }).toString(), MAX_VERSION);
  assert.equal(requestedVersion({ 'openstack-api-version': 'volume 3.27' }).toString(), '3.27');
  assert.equal(requestedVersion({ 'x-openstack-volume-api-version': '3.44' }).toString(), '3.44');
  assert.equal(requestedVersion({ 'openstack-api-version': 'compute 2.90, volume 3.12', 'x-openstack-volume-api-version': '3.44' }).toString(), '3.12');
  assert.equal(requestedVersion({ 'openstack-api-version': 'compute 2.90' }).toString(), '3.0');
});

test('malformed versions are 400, versions out of range 406', () => {
  assert.throws(() => requestedVersion({ 'openstack-api-version': 'volume 3.x' }), (e: { status?: number }) => e.status === 400);
  assert.throws(() => requestedVersion({ 'openstack-api-version': 'volume 03.1' }), (e: { status?: number }) => e.status === 400);
  assert.throws(() => requestedVersion({ 'openstack-api-version': 'volume 3.999' }), (e: { status?: number }) => e.status === 406);
  assert.throws(() => requestedVersion({ 'openstack-api-version': 'volume 2.0' }), (e: { status?: number }) => e.status === 406);
  assert.throws(() => requestedVersion({ 'x-openstack-volume-api-version': '4.0' }), /not supported/);
});

test('comparisons', () => {
  const v = ApiVersion.parse('3.27') as ApiVersion;
  assert.ok(v.atLeast('3.27') && v.atLeast('3.9') && !v.atLeast('3.28'));
  assert.ok(v.between('3.0', '3.27') && !v.between('3.28', '3.70'));
  assert.equal(ApiVersion.parse('3.a'), undefined);
});
