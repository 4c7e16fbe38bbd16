// Unit tests of RPC version parsing and compatibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRpcVersion, versionIsCompatible } from './rpc-version.js';

test('parseRpcVersion reads X.Y and nothing else', () => {
  assert.deepEqual(parseRpcVersion('1.0'), { major: 1, minor: 0 });
  assert.deepEqual(parseRpcVersion('6.12'), { major: 6, minor: 12 });
  for (const bad of ['1', '1.', '.1', '1.0.0', '01.0', '1.01', 'a.b', ' 1.0', '1.0 ', '-1.0', '']) {
    assert.equal(parseRpcVersion(bad), undefined, bad);
  }
});

test('versionIsCompatible: same major, requested minor not above the implemented one', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['1.3', '1.0', true],
    ['1.3', '1.3', true],
    ['1.3', '1.4', false],
    ['1.3', '2.0', false],
    ['2.0', '1.9', false],
    ['1.10', '1.9', true],
    ['1.9', '1.10', false],
    ['1.3', 'x', false],
    ['bogus', '1.0', false],
  ];
  for (const [implemented, requested, expected] of cases) {
    assert.equal(versionIsCompatible(implemented, requested), expected, `${implemented} serves ${requested}`);
  }
});
