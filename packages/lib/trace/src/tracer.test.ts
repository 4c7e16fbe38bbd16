import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLOW_STEPS } from './flow-steps.js';
import { MemoryTraceSink, Tracer, type TraceEvent } from './tracer.js';

test('FLOW.md has 51 steps in eight groups', () => {
  assert.equal(FLOW_STEPS.length, 51);
  assert.equal(FLOW_STEPS[0]?.group, 'identity');
  assert.equal(FLOW_STEPS[12]?.group, 'scheduling');
  assert.equal(FLOW_STEPS[50]?.group, 'hypervisor');
  assert.equal(new Set(FLOW_STEPS.map((s) => s.group)).size, 8);
  assert.deepEqual([1, 6, 8, 16, 20, 32, 51].map((n) => FLOW_STEPS[n - 1]?.kind), ['http', 'db', 'rpc', 'db', 'http', 'db', 'rpc']);
});

test('steps record duration and outcome, sorted by step, errors rethrown', async () => {
  const tracer = new Tracer();
  const t = tracer.begin('req-1');
  await t.step(5, 'keystone', 'http', async () => 'ok');
  await assert.rejects(t.step(4, 'keystone', 'http', async () => Promise.reject(new Error('bad token'))), /bad token/);
  const events = tracer.read('req-1');
  assert.deepEqual(events.map((e) => [e.step, e.outcome]), [[4, 'error'], [5, 'ok']]);
  assert.equal(events[0]?.detail, 'bad token');
  assert.throws(() => t.record({ step: 52, component: 'x', kind: 'db', startedAt: 0, durationMs: 0, outcome: 'ok' }), /no such flow step/);
  assert.deepEqual(tracer.read('other'), []);
});

test('the memory sink keeps only the newest traces', () => {
  const sink = new MemoryTraceSink(2);
  for (const id of ['a', 'b', 'c']) sink.write(id, { step: 1, component: 'k', kind: 'http', startedAt: 0, durationMs: 0, outcome: 'ok' });
  assert.equal(sink.read('a').length, 0);
  assert.equal(sink.read('c').length, 1);
});

test('takeUnpublished hands each event out once, across callers of one tracer', () => {
  const tracer = new Tracer();
  const t = tracer.begin('req-2');
  t.record({ step: 13, component: 'nova-compute', kind: 'rpc', startedAt: 1, durationMs: 0, outcome: 'ok' });
  t.record({ step: 9, component: 'nova-scheduler', kind: 'rpc', startedAt: 0, durationMs: 0, outcome: 'ok' });
  assert.deepEqual(tracer.takeUnpublished('req-2').map((e) => e.step), [9, 13]);
  assert.deepEqual(tracer.takeUnpublished('req-2'), []);
  t.record({ step: 51, component: 'nova-compute', kind: 'rpc', startedAt: 2, durationMs: 0, outcome: 'ok' });
  assert.deepEqual(tracer.takeUnpublished('req-2').map((e) => e.step), [51]);
  assert.equal(tracer.read('req-2').length, 3, 'read still sees every event');
});

test('takeUnpublished does not depend on the sink handing back the objects it was given', () => {
  // A sink backed by a store returns fresh copies on every read.
  const stored = new Map<string, string[]>();
  const copying = {
    write: (id: string, e: TraceEvent) => void stored.set(id, [...(stored.get(id) ?? []), JSON.stringify(e)]),
    read: (id: string) => (stored.get(id) ?? []).map((x) => JSON.parse(x) as TraceEvent),
  };
  const tracer = new Tracer(copying);
  const t = tracer.begin('req-3');
  t.record({ step: 20, component: 'nova-compute', kind: 'http', startedAt: 5, durationMs: 1, outcome: 'ok' });
  t.record({ step: 16, component: 'nova-conductor', kind: 'db', startedAt: 4, durationMs: 1, outcome: 'ok' });
  assert.deepEqual(tracer.takeUnpublished('req-3').map((e) => e.step), [16, 20]);
  assert.deepEqual(tracer.takeUnpublished('req-3'), [], 'events already handed out are not handed out again');
  t.record({ step: 9, component: 'nova-scheduler', kind: 'rpc', startedAt: 6, durationMs: 0, outcome: 'ok' });
  assert.deepEqual(tracer.takeUnpublished('req-3').map((e) => e.step), [9], 'a lower step recorded later is still new');
  assert.equal(tracer.read('req-3').length, 3, 'read still sees every event');
});

test('takeUnpublished keeps the unpublished events of the most recent traces only', () => {
  const tracer = new Tracer(new MemoryTraceSink(), 2);
  const ev = { step: 1, component: 'keystone', kind: 'http', startedAt: 0, durationMs: 0, outcome: 'ok' } as const;
  tracer.begin('a').record(ev);
  tracer.begin('b').record(ev);
  tracer.begin('a').record(ev); // 'a' is recording again, so 'b' is now the oldest
  tracer.begin('c').record(ev);
  assert.equal(tracer.takeUnpublished('b').length, 0);
  assert.equal(tracer.takeUnpublished('a').length, 2);
  assert.equal(tracer.takeUnpublished('c').length, 1);
});
