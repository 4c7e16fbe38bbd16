import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FLOW_STEPS } from '@strata/trace';
import { hasOpenstackCli, servicesRequired, startStrataProcess, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);
const skip = hasOpenstackCli() ? undefined : servicesRequired() ? undefined : 'the openstack CLI is not installed';
const STRATA = resolve(new URL('../../apps/cli/bin/strata.js', import.meta.url).pathname);

/** One line of `strata trace`: number, component, kind, start, duration, title. */
const LINE = /^\s?(\d{1,2})\s{2}([a-z][a-z-]+)\s+(http|rpc|db)\s+(\S+)\s+(\S+)\s{2}(.+)$/;

describe('strata trace against `strata up`', { skip }, () => {
  let strata: StrataProcess;
  let env: NodeJS.ProcessEnv;
  const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 120_000 })).stdout;
  const trace = async (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> => {
    try {
      const r = await run(process.execPath, [STRATA, 'trace', ...args], { env, timeout: 120_000 });
      return { ...r, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  };

  before(async () => {
    if (!hasOpenstackCli()) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    strata = await startStrataProcess();
    env = strata.adminEnv;
  });
  after(async () => {
    const code = await strata?.stop();
    assert.equal(code, 0, 'strata up stops cleanly on SIGTERM (metadata API and noVNC proxy included)');
  });

  test('a server with an image, a network and a blank volume: 51 numbered steps, in order, each with its component', async () => {
    const file = join(strata.dataDir, 'trace-tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    const image = JSON.parse(await osc('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', 'trace-img', '-f', 'json')) as { id: string };
    const created = JSON.parse(
      await osc('server', 'create', '--image', image.id, '--flavor', 'm1.tiny', '--network', 'private', '--block-device', 'source_type=blank,destination_type=volume,volume_size=1,delete_on_termination=true', '--wait', 'vm1', '-f', 'json'),
    ) as { id: string; status: string };
    assert.equal(created.status, 'ACTIVE');

    const r = await trace('vm1');
    const lines = r.stdout.trimEnd().split('\n');
    const steps = lines.map((l) => LINE.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    assert.equal(steps.length, 51, `51 step lines:\n${r.stdout}${r.stderr}`);
    assert.deepEqual(steps.map((m) => Number(m[1])), FLOW_STEPS.map((s) => s.step), 'numbered 1..51 in order');
    for (const m of steps) assert.equal(m[6]?.startsWith(FLOW_STEPS[Number(m[1]) - 1]?.title ?? '?'), true, `step ${m[1]} has its FLOW.md title`);
    const component = (n: number): string | undefined => steps.find((m) => Number(m[1]) === n)?.[2];
    const recorded = steps.filter((m) => !/\(not recorded\)$/.test(m[6] ?? ''));
    // Every step is recorded, 1–2 included (from the timing keystone signs into the token), each with its kind.
    assert.equal(recorded.length, 51, `all 51 steps recorded:\n${r.stdout}`);
    for (const m of recorded) {
      const n = Number(m[1]);
      assert.match(m[4] ?? '', /^\+[\d.]+m?s$/, `step ${n} has a start offset`);
      assert.match(m[5] ?? '', /^[\d.]+m?s$/, `step ${n} has a duration`);
      assert.equal(m[3], FLOW_STEPS[n - 1]?.kind, `step ${n} has its kind`);
    }
    assert.equal(component(1), 'client');
    assert.equal(component(2), 'keystone');
    assert.equal(component(6), 'nova-api');
    assert.equal(component(10), 'nova-scheduler');
    assert.equal(component(16), 'nova-conductor');
    assert.equal(component(51), 'nova-compute');
    assert.match(lines.at(-1) ?? '', /^51 of 51 steps recorded in /);
    assert.equal(r.code, 0, r.stderr);
    console.log(`strata trace vm1:\n${r.stdout}`);

    // By id, and --follow on a finished server (plain lines: not a TTY) prints the same steps.
    const byId = await trace(created.id);
    assert.equal(byId.stdout.split('\n').filter((l) => LINE.test(l)).length, 51);
    const followed = await trace('--follow', 'vm1');
    const fl = followed.stdout.split('\n').filter((l) => LINE.test(l));
    assert.equal(fl.length, 51, followed.stdout);
    assert.match(followed.stdout, /server vm1 \([0-9a-f-]{36}\): ACTIVE/);
  });

  test('strata server create --watch creates through the API and follows the build to ACTIVE', async () => {
    const r = await run(process.execPath, [STRATA, 'server', 'create', 'vm2', '--image', 'trace-img', '--flavor', 'm1.tiny', '--network', 'private', '--volume-size', '1', '--watch'], { env, timeout: 120_000 });
    assert.match(r.stdout, /^server vm2 \([0-9a-f-]{36}\) requested$/m);
    const steps = r.stdout.split('\n').filter((l) => LINE.test(l));
    assert.equal(steps.length, 51, r.stdout);
    assert.equal(new Set(steps.map((l) => Number(LINE.exec(l)?.[1]))).size, 51, 'each step once');
    assert.match(r.stdout, /server vm2 \([0-9a-f-]{36}\): ACTIVE$/m);
    const shown = JSON.parse(await osc('server', 'show', 'vm2', '-f', 'json')) as { status: string; 'volumes_attached': unknown };
    assert.equal(shown.status, 'ACTIVE');
  });

  test('a volume with boot_index -1 (not bootable) beside the image boots to ACTIVE', async () => {
    const created = JSON.parse(
      await osc('server', 'create', '--image', 'trace-img', '--flavor', 'm1.tiny', '--network', 'private', '--block-device', 'source_type=blank,destination_type=volume,volume_size=1,boot_index=-1,delete_on_termination=true', '--wait', 'vm-bi', '-f', 'json'),
    ) as { id: string; status: string };
    assert.equal(created.status, 'ACTIVE');
    const shown = JSON.parse(await osc('server', 'show', 'vm-bi', '-f', 'json')) as { volumes_attached: unknown };
    assert.match(JSON.stringify(shown.volumes_attached), /[0-9a-f-]{36}/, 'the volume is attached');
  });

  test('unknown server: a clear error, exit code 1', async () => {
    const r = await trace('no-such-vm');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No server with a name or ID of 'no-such-vm' exists/);
  });
});
