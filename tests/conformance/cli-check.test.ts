/**
 * The shared CLI walk-through (../shared/conformance/cli-check.sh: about 40 `openstack` CLI and
 * openstacksdk calls, identity, image, compute, network and volume CRUD) against a fresh `strata up`:
 * nothing may fail or be skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hasOpenstackCli, servicesRequired, startStrataProcess } from '@strata/testing';

const shared = process.env.STRATA_SHARED_DIR ?? resolve(fileURLToPath(new URL('../../..', import.meta.url)), 'shared');
const script = join(shared, 'conformance', 'cli-check.sh');
const run = promisify(execFile);
const skip = servicesRequired() ? undefined : !existsSync(script) ? `${script} is not there (set STRATA_SHARED_DIR)` : !hasOpenstackCli() ? 'the openstack CLI is not installed' : undefined;

test('cli-check.sh: every openstack CLI and openstacksdk call of the walk-through passes, none skipped', { skip, timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(script), `STRATA_REQUIRE_SERVICES=1 but ${script} is missing`);
  const strata = await startStrataProcess();
  try {
    // The server lifecycle part needs an active image: a small raw one (the fake driver boots anything).
    const file = join(strata.dataDir, 'cli-check.img');
    writeFileSync(file, Buffer.alloc(1024 * 1024));
    const image = await run('openstack', ['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--public', '--file', file, '-f', 'value', '-c', 'id', 'cli-check-image'], { env: strata.adminEnv });
    const env = { ...strata.adminEnv, IMAGE_REF: image.stdout.trim() };
    const out = await new Promise<{ code: number | null; text: string }>((done) => {
      execFile('bash', [script], { env, timeout: 540_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        done({ code, text: `${stdout}${stderr}` });
      });
    });
    const lines = out.text.trimEnd().split('\n');
    const last = lines[lines.length - 1] ?? '';
    const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/.exec(last);
    assert.ok(m !== null, `unexpected last line: ${last}\n${out.text}`);
    t.diagnostic(last);
    const problems = lines.filter((l) => /^(FAIL|SKIP) /.test(l) || /^ {7}/.test(l)).join('\n');
    assert.equal(Number(m[2]), 0, `failed calls:\n${problems}`);
    assert.equal(Number(m[3]), 0, `skipped calls:\n${problems}`);
    assert.ok(Number(m[1]) >= 30, `${m[1]} calls passed`);
    assert.equal(out.code, 0);
  } finally {
    assert.equal(await strata.stop(), 0);
  }
});
