import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, cidrsOverlap, cidrWithin, eui64Address, formatCidr, formatIp, generatePools, isUsableHostAddress, mergeCidrs, normalizeIp, parseCidr, parseIp, poolBounds, rangeToCidrs } from './cidr.js';

const c = (s: string) => {
  const r = parseCidr(s);
  assert.ok(r, s);
  return r;
};
const ip = (s: string) => {
  const r = parseIp(s);
  assert.ok(r, s);
  return r.value;
};

test('addresses parse strictly and print as netaddr does', () => {
  for (const bad of ['192.168.1.', '256', '1.2.3.256', 'bad_prefix', '', '1.2.3', '::g', '1:2:3:4:5:6:7:8:9', '01.2.3.4']) assert.equal(parseIp(bad), undefined, bad);
  assert.equal(normalizeIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(normalizeIp('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
  assert.equal(normalizeIp('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(normalizeIp('2001:0:0:1:1:0:0:1'), '2001::1:1:0:0:1');
  assert.equal(normalizeIp('::'), '::');
  assert.equal(normalizeIp('::1'), '::1');
  assert.equal(normalizeIp('fe80::'), 'fe80::');
  assert.equal(normalizeIp('1:0:2:3:4:5:6:7'), '1:0:2:3:4:5:6:7');
  assert.equal(normalizeIp('::ffff:1.2.3.4'), '::ffff:102:304');
  assert.equal(formatIp(4, ip('10.0.0.255') + 1n), '10.0.1.0');
});

test('CIDRs: host bits, bounds, containment and overlap', () => {
  assert.equal(parseCidr('192.168.1.1/33'), undefined);
  assert.equal(parseCidr('192.168.1./24'), undefined);
  assert.equal(parseCidr('10.0.0.0/x'), undefined);
  assert.equal(c('10.0.0.5/24').hostBitsSet, true);
  assert.equal(formatCidr(c('10.0.0.5/24')), '10.0.0.0/24');
  assert.equal(formatCidr(c('2001:db8::/48')), '2001:db8::/48');
  assert.equal(c('10.1.2.3').prefixlen, 32);
  assert.ok(cidrContains(c('10.0.0.0/24'), parseIp('10.0.0.255')!));
  assert.ok(!cidrContains(c('10.0.0.0/24'), parseIp('10.0.1.0')!));
  assert.ok(!cidrContains(c('10.0.0.0/24'), parseIp('::1')!));
  assert.ok(cidrsOverlap(c('10.0.0.0/16'), c('10.0.5.0/24')));
  assert.ok(!cidrsOverlap(c('10.0.0.0/24'), c('10.0.1.0/24')));
  assert.ok(cidrWithin(c('10.0.5.0/24'), c('10.0.0.0/16')));
  assert.ok(!cidrWithin(c('10.0.0.0/8'), c('10.0.0.0/16')));
});

test('default pools leave out network, broadcast and gateway, as neutron generate_pools', () => {
  const v4 = c('10.0.0.0/24');
  assert.deepEqual(generatePools(v4, ip('10.0.0.1')), [{ first: ip('10.0.0.2'), last: ip('10.0.0.254') }]);
  assert.deepEqual(generatePools(v4, ip('10.0.0.100')), [
    { first: ip('10.0.0.1'), last: ip('10.0.0.99') },
    { first: ip('10.0.0.101'), last: ip('10.0.0.254') },
  ]);
  assert.deepEqual(generatePools(v4, null), [{ first: ip('10.0.0.1'), last: ip('10.0.0.254') }]);
  assert.deepEqual(generatePools(c('10.0.0.0/31'), null), []);
  assert.deepEqual(generatePools(c('10.0.0.7/32'), null), [{ first: ip('10.0.0.7'), last: ip('10.0.0.7') }]);
  const v6 = c('2001:db8::/64');
  assert.deepEqual(generatePools(v6, ip('2001:db8::1')), [{ first: ip('2001:db8::2'), last: ip('2001:db8::ffff:ffff:ffff:ffff') }]);
  assert.deepEqual(poolBounds(v4), { first: ip('10.0.0.1'), last: ip('10.0.0.254') });
  assert.ok(!isUsableHostAddress(v4, ip('10.0.0.0')));
  assert.ok(!isUsableHostAddress(v4, ip('10.0.0.255')));
  assert.ok(isUsableHostAddress(v6, ip('2001:db8::'), true));
  assert.ok(!isUsableHostAddress(v6, ip('2001:db8::')));
});

test('EUI-64 from a MAC, and CIDR merging', () => {
  assert.equal(formatIp(6, eui64Address(c('2001:db8::/64'), 'fa:16:3e:12:34:56')), '2001:db8::f816:3eff:fe12:3456');
  assert.deepEqual(mergeCidrs([c('10.0.1.0/24'), c('10.0.0.0/24'), c('10.0.0.128/25'), c('2001:db8::/64')]).map(formatCidr), ['10.0.0.0/23', '2001:db8::/64']);
  assert.deepEqual(rangeToCidrs(4, { first: ip('10.0.0.1'), last: ip('10.0.0.6') }).map(formatCidr), ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
});
