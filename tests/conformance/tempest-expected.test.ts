/** Runs conformance/run-expected.sh: every Tempest identity, image and volume test listed in expected-pass.txt must pass against a fresh `strata up`. */
import { test } from 'node:test';
import { assertListsPass, conformanceList, tempestSkip } from './run-expected.js';

const TIMEOUT_MS = 10 * 60_000;

test('Tempest identity, image and volume: every test in conformance/expected-pass.txt passes', { skip: tempestSkip, timeout: TIMEOUT_MS + 30_000 }, async () => {
  await assertListsPass([conformanceList('expected-pass.txt')], { workers: 4, timeoutMs: TIMEOUT_MS });
});
