import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inPools, pickFreeAddress, poolsSize } from './ip-allocator.js';

const r = (first: number, last: number) => ({ first: BigInt(first), last: BigInt(last) });

test('the lowest free address across pools, skipping used ones', () => {
  assert.equal(pickFreeAddress([r(10, 20)], []), 10n);
  assert.equal(pickFreeAddress([r(10, 20)], [10n, 11n, 13n]), 12n);
  assert.equal(pickFreeAddress([r(30, 31), r(10, 11)], [10n, 11n]), 30n);
  assert.equal(pickFreeAddress([r(10, 11)], [10n, 11n, 5n, 99n]), undefined);
  assert.equal(pickFreeAddress([], []), undefined);
});

test('huge pools are cheap, and a window spreads choices among the first free addresses', () => {
  const big = { first: 1n << 64n, last: (1n << 65n) - 1n };
  assert.equal(pickFreeAddress([big], [1n << 64n]), (1n << 64n) + 1n);
  const seen = new Set<bigint>();
  for (let i = 0; i < 200; i++) seen.add(pickFreeAddress([r(1, 100)], [2n], { window: 5 }) as bigint);
  assert.deepEqual([...seen].sort((a, b) => Number(a - b)), [1n, 3n, 4n, 5n, 6n]);
  assert.equal(poolsSize([r(1, 10), r(20, 20)]), 11n);
  assert.ok(inPools([r(1, 10)], 10n) && !inPools([r(1, 10)], 11n));
});
