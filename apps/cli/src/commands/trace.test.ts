import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { FLOW_STEPS } from '@strata/trace';
import { formatStep, formatTrace, runTrace, type TraceStep } from './trace.js';
import type { OsSession } from './os-session.js';

const ID = '11111111-2222-4333-8444-555555555555';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function step(n: number, result = 'Success', detail: string | null = null): TraceStep {
  return { step: n, title: FLOW_STEPS[n - 1]?.title ?? '', component: n === 51 ? 'nova-compute' : 'nova-api', started_at: new Date(T0 + n * 2).toISOString(), finished_at: new Date(T0 + n * 2 + 1).toISOString(), result, detail };
}

/** A compute API whose trace grows by 17 steps per read, the server ACTIVE once all are there. */
describe('strata trace output and --follow', () => {
  let server: Server;
  let base: string;
  let reads = 0;
  const session = (): OsSession => ({ token: 't', endpoint: (type) => (type === 'compute' ? base : undefined) });

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/servers') return send(200, { servers: [{ id: ID, name: 'vm1' }] });
      if (url.pathname === `/servers/${ID}/strata-trace`) {
        reads++;
        const n = Math.min(51, reads * 17);
        return send(200, { trace: { steps: FLOW_STEPS.slice(0, n).map((f) => step(f.step)) } });
      }
      if (url.pathname === `/servers/${ID}`) return send(200, { server: { id: ID, name: 'vm1', status: reads >= 3 ? 'ACTIVE' : 'BUILD' } });
      return send(404, {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  test('a line per step with component, kind, offset and duration; failures and gaps shown', () => {
    const lines = formatTrace([step(3), step(4), step(51, 'Error', 'no space left')]);
    assert.equal(lines.length, 53);
    assert.match(lines[3] ?? '', /^ 3  nova-api\s+http\s+\+0\.0ms\s+1\.0ms  user sends create server to nova-api$/);
    assert.match(lines[1] ?? '', /^ 1  client\s+http\s+-\s+-  .*\(not recorded\)$/);
    assert.match(lines[51] ?? '', /^51  nova-compute\s+rpc\s+\+96ms\s+1\.0ms  .*FAILED: no space left$/);
    assert.equal(lines.at(-1), '3 of 51 steps recorded in 97ms; failed at step 51');
    assert.match(formatStep(7, undefined, T0), /^ 7  nova-api\s+db /);
  });

  test('--follow, not a TTY: plain step lines as they arrive, then the rest and the status', async () => {
    reads = 0;
    let out = '';
    const code = await runTrace(session(), 'vm1', { follow: true, intervalMs: 1 }, { out: { write: (s: string) => ((out += s), true) }, sleep: async () => undefined });
    assert.equal(code, 0);
    const nums = out.split('\n').map((l) => /^\s?(\d{1,2})  /.exec(l)?.[1]).filter((x) => x !== undefined).map(Number);
    assert.deepEqual(nums, FLOW_STEPS.map((f) => f.step));
    assert.doesNotMatch(out, /\r/);
    assert.match(out, /server vm1 \(.+\): ACTIVE\n$/);
  });

  test('--follow on a TTY: one progress line rewritten in place, then the table', async () => {
    reads = 0;
    let out = '';
    await runTrace(session(), 'vm1', { follow: true, intervalMs: 1 }, { out: { write: (s: string) => ((out += s), true), isTTY: true, columns: 100 }, sleep: async () => undefined });
    const progress = out.split('\r\x1b[K').filter((s) => s.startsWith('['));
    assert.ok(progress.length >= 3, out);
    assert.match(progress[0] ?? '', /^\[#{10}\.{20}\] 17\/51 BUILD 17 nova-api: /);
    assert.match(progress.at(-1) ?? '', /^\[#{30}\] 51\/51 ACTIVE /);
    assert.match(out, /51 of 51 steps recorded/);
  });
});
