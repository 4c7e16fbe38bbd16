/**
 * Runs conformance/run-expected.sh on network-pass.txt and compute-pass.txt in one Tempest run: every
 * listed test must pass against a fresh `strata up`. A file of its own so the runner overlaps it with
 * other files: Tempest's subnet client sleeps 10 s before each subnet delete, so the network tests
 * mostly wait, and the compute tests (fake driver) fill that idle time; 12 workers cost little CPU.
 */
import { test } from 'node:test';
import { assertListsPass, conformanceList, tempestSkip } from './run-expected.js';

const TIMEOUT_MS = 15 * 60_000;

test('Tempest network and compute: every test in conformance/network-pass.txt and compute-pass.txt passes', { skip: tempestSkip, timeout: TIMEOUT_MS + 30_000 }, async () => {
  await assertListsPass([conformanceList('network-pass.txt'), conformanceList('compute-pass.txt')], { workers: 12, timeoutMs: TIMEOUT_MS });
});
