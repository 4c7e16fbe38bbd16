import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitFor } from './wait-for.js';
import { onPath } from './host-tools.js';

test('waitFor resolves to the first value that is not undefined or false; a throwing poll is "not yet"', async () => {
  let n = 0;
  const got = await waitFor(
    'the third poll',
    async () => {
      n++;
      if (n === 1) throw new Error('not up');
      return n === 3 ? `poll ${n}` : false;
    },
    { intervalMs: 1 },
  );
  assert.equal(got, 'poll 3');
  assert.equal(n, 3);
});

test('waitFor times out naming what it waited for, the last error and the diagnosis', async () => {
  const started = Date.now();
  await assert.rejects(
    waitFor('the impossible', async () => Promise.reject(new Error('connection refused')), { timeoutMs: 50, intervalMs: 10, diagnose: async () => 'state: broken' }),
    (err: Error) => {
      assert.match(err.message, /^timed out after 50 ms waiting for the impossible: Error: connection refused\nstate: broken$/);
      return true;
    },
  );
  assert.ok(Date.now() - started >= 50);
});

test('onPath finds an executable file in a PATH directory, not a plain file or a missing one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-onpath-'));
  try {
    writeFileSync(join(dir, 'tool-x'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool-x'), 0o755);
    writeFileSync(join(dir, 'plain-y'), '');
    const path = ['', '/nonexistent', dir].join(delimiter);
    assert.equal(onPath('tool-x', path), true);
    assert.equal(onPath('plain-y', path), false);
    assert.equal(onPath('missing-z', path), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
