/** Shared by the Tempest test files: run conformance/run-expected.sh on some lists and check its outcome. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onPath, servicesRequired } from '@strata/testing';

const script = fileURLToPath(new URL('../../conformance/run-expected.sh', import.meta.url));

/** The path of a list under conformance/. */
export function conformanceList(name: string): string {
  return fileURLToPath(new URL(`../../conformance/${name}`, import.meta.url));
}

export const hasTempest = onPath('tempest');
/** The skip reason of a Tempest test, or undefined to run it. */
export const tempestSkip = hasTempest || servicesRequired() ? undefined : 'tempest is not installed (conformance/install.sh installs it)';

/** Run run-expected.sh on `lists` with `workers` Tempest workers; fails the test unless every listed test passed. */
export async function assertListsPass(lists: readonly string[], opts: { workers: number; timeoutMs: number }): Promise<void> {
  assert.ok(hasTempest, 'STRATA_REQUIRE_SERVICES=1 but tempest is not installed');
  const env = { ...process.env, STRATA_CONFORMANCE_WORKERS: process.env.STRATA_CONFORMANCE_WORKERS ?? String(opts.workers) };
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    execFile('bash', [script, ...lists], { env, timeout: opts.timeoutMs, killSignal: 'SIGTERM', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, output: `${stdout}${stderr}` });
    });
  });
  const lines = result.output.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  assert.match(last, /^\d+ passed, \d+ failed$/, `unexpected last line: ${last}`);
  if (result.code !== 0) {
    const summary = lines.filter((l) => /NOT PASSED|ERROR|kept:|details:|tempest finished/.test(l)).join('\n');
    assert.fail(`run-expected.sh failed (${last}${result.signal !== null ? `, killed by ${result.signal}` : ''}):\n${summary}\n${failureDetails(lines)}`);
  }
}

/** The head of Tempest's failures.txt named on the script's `details:` line: why each test failed, for CI logs. */
function failureDetails(lines: readonly string[]): string {
  const path = lines.find((l) => l.startsWith('details: '))?.slice('details: '.length).trim();
  if (path === undefined) return '';
  try {
    return readFileSync(path, 'utf8').split('\n').slice(0, 300).join('\n');
  } catch {
    return '';
  }
}
