import { test } from 'node:test';
import assert from 'node:assert/strict';
import { microsUtc, parseTimestamp, timestampMs } from './timestamps.js';

test('parseTimestamp keeps microseconds, reads a missing zone as UTC and converts offsets', () => {
  assert.equal(parseTimestamp('2026-11-26T17:32:59.348631', 'expires_at'), '2026-11-26T17:32:59.348631Z');
  assert.equal(parseTimestamp('2026-11-26T17:32:59Z', 'expires_at'), '2026-11-26T17:32:59.000000Z');
  assert.equal(parseTimestamp('2026-11-26T17:32:59.5+02:00', 'expires_at'), '2026-11-26T15:32:59.500000Z');
  assert.equal(parseTimestamp('2026-11-26T17:32:59.123456789-0130', 'expires_at'), '2026-11-26T19:02:59.123456Z');
});

test('parseTimestamp rejects what keystone rejects with a 400', () => {
  for (const bad of ['bad.123Z', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01 00:00:00', '', '2026-01-01T24:00:00Z']) {
    assert.throws(() => parseTimestamp(bad, 'expires_at'), (err: { status?: number }) => err.status === 400, bad);
  }
});

test('timestampMs and microsUtc read both stored precisions', () => {
  assert.equal(timestampMs('2026-11-26T17:32:59.348631Z'), Date.parse('2026-11-26T17:32:59.348Z'));
  assert.equal(timestampMs('2026-11-26T17:32:59.348Z'), Date.parse('2026-11-26T17:32:59.348Z'));
  assert.equal(microsUtc('2026-11-26T17:32:59.348Z'), '2026-11-26T17:32:59.348000Z');
  assert.equal(microsUtc('2026-11-26T17:32:59Z'), '2026-11-26T17:32:59.000000Z');
});
