/**
 * Runs conformance/run-expected.sh on network-pass.txt: every listed Tempest network test must pass
 * against a fresh `strata up`. A file of its own so the runner overlaps it with other files: Tempest's
 * subnet client sleeps 10 s before each subnet delete, so this run mostly waits, and more workers
 * shorten it without costing CPU.
 */
import { test } from 'node:test';
import { assertListsPass, conformanceList, tempestSkip } from './run-expected.js';

const TIMEOUT_MS = 12 * 60_000;

test('Tempest network: every test in conformance/network-pass.txt passes', { skip: tempestSkip, timeout: TIMEOUT_MS + 30_000 }, async () => {
  await assertListsPass([conformanceList('network-pass.txt')], { workers: 12, timeoutMs: TIMEOUT_MS });
});
