/** Runs conformance/run-expected.sh: every Tempest identity test listed in expected-pass.txt must pass against a fresh `strata up`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servicesRequired } from '@strata/testing';

const script = fileURLToPath(new URL('../../conformance/run-expected.sh', import.meta.url));
const TIMEOUT_MS = 10 * 60_000;

/** True when `name` is an executable on PATH. */
function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

const hasTempest = onPath('tempest');
const skip = hasTempest || servicesRequired() ? undefined : 'tempest is not installed (conformance/install.sh installs it)';

test('Tempest identity: every test in conformance/expected-pass.txt passes', { skip, timeout: TIMEOUT_MS + 30_000 }, async () => {
  assert.ok(hasTempest, 'STRATA_REQUIRE_SERVICES=1 but tempest is not installed');
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    execFile('bash', [script], { timeout: TIMEOUT_MS, killSignal: 'SIGTERM', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, output: `${stdout}${stderr}` });
    });
  });
  const lines = result.output.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  assert.match(last, /^\d+ passed, \d+ failed$/, `unexpected last line: ${last}`);
  assert.equal(result.code, 0, `run-expected.sh failed (${last}${result.signal !== null ? `, killed by ${result.signal}` : ''}):\n${lines.filter((l) => /NOT PASSED|ERROR|kept:|details:/.test(l)).join('\n')}`);
});
