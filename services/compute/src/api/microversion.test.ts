import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiVersion, MAX_VERSION, negotiateVersion } from './microversion.js';

describe('microversion negotiation', () => {
  test('no header is 2.1; both headers are read, the new one wins', () => {
    assert.equal(negotiateVersion({}).toString(), '2.1');
    assert.equal(negotiateVersion({ 'x-openstack-nova-api-version': '2.10' }).toString(), '2.10');
    assert.equal(negotiateVersion({ 'openstack-api-version': 'compute 2.37' }).toString(), '2.37');
    assert.equal(negotiateVersion({ 'openstack-api-version': 'volume 3.5, compute 2.26', 'x-openstack-nova-api-version': '2.2' }).toString(), '2.26');
    assert.equal(negotiateVersion({ 'openstack-api-version': 'volume 3.5', 'x-openstack-nova-api-version': '2.2' }).toString(), '2.2');
  });
  test('latest is the maximum; out of range is 406; malformed is 400', () => {
    assert.equal(negotiateVersion({ 'openstack-api-version': 'compute latest' }).toString(), MAX_VERSION.toString());
    assert.throws(() => negotiateVersion({ 'openstack-api-version': 'compute 2.1000' }), (e: { status: number }) => e.status === 406);
    assert.throws(() => negotiateVersion({ 'openstack-api-version': 'compute 3.0' }), (e: { status: number }) => e.status === 406);
    assert.throws(() => negotiateVersion({ 'openstack-api-version': 'compute 2.0' }), (e: { status: number }) => e.status === 406);
    assert.throws(() => negotiateVersion({ 'openstack-api-version': 'compute 2.a' }), (e: { status: number }) => e.status === 400);
  });
  test('comparisons', () => {
    const v = ApiVersion.parse('2.47');
    assert.ok(v?.atLeast('2.47') && v.atLeast('2.9') && !v.atLeast('2.48'));
  });
});
