// Unit tests of the waiting-call table and the request delivery both transports share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@strata/log';
import { PendingCalls } from './pending-calls.js';
import { openRequestDelivery } from './request-delivery.js';
import { encodeReply, encodeRequest, type RpcRequest } from './rpc-envelope.js';
import { captureLogger, type LogLine } from './test-support.js';

const request: RpcRequest = {
  v: 1,
  method: 'ping',
  args: {},
  ctx: { requestId: 'req-1', roles: [] },
  version: '1.0',
  msgId: 'm-1',
  sentAt: '2024-01-01T00:00:00.000Z',
};

test('a reply settles the call with its msgId, after send ran; a second reply for it is dropped', async () => {
  const lines: LogLine[] = [];
  const calls = new PendingCalls(captureLogger(lines));
  let sent = 0;
  const a = calls.wait('a', new AbortController().signal, () => sent++);
  const b = calls.wait('b', new AbortController().signal, () => sent++);
  assert.equal(sent, 2);
  calls.settle(encodeReply({ msgId: 'b', result: 'for b' }));
  calls.settle(encodeReply({ msgId: 'a', result: 'for a' }));
  assert.deepEqual(await a, { msgId: 'a', result: 'for a' });
  assert.deepEqual(await b, { msgId: 'b', result: 'for b' });
  calls.settle(encodeReply({ msgId: 'a', result: 'late' }));
  assert.deepEqual(lines, [{ level: 'debug', msg: 'rpc reply for an unknown or expired call dropped', fields: { msgId: 'a' } }]);
});

test('a malformed reply is logged and dropped; the call still waits', async () => {
  const lines: LogLine[] = [];
  const calls = new PendingCalls(captureLogger(lines));
  const a = calls.wait('a', new AbortController().signal, () => undefined);
  calls.settle('{"result":1}');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.level, 'warn');
  assert.equal(lines[0]?.msg, 'malformed rpc reply dropped');
  calls.settle(encodeReply({ msgId: 'a', result: 1 }));
  assert.deepEqual(await a, { msgId: 'a', result: 1 });
});

test('aborting rejects with the signal reason and forgets the call', async () => {
  const lines: LogLine[] = [];
  const calls = new PendingCalls(captureLogger(lines));
  const controller = new AbortController();
  const a = calls.wait('a', controller.signal, () => undefined);
  const reason = new Error('timed out');
  controller.abort(reason);
  await assert.rejects(a, (err) => err === reason);
  calls.settle(encodeReply({ msgId: 'a', result: 1 }));
  assert.equal(lines[0]?.msg, 'rpc reply for an unknown or expired call dropped');
});

test('reject fails one call; rejectAll fails each remaining call with its own error', async () => {
  const calls = new PendingCalls(silentLogger());
  const signal = new AbortController().signal;
  const a = calls.wait('a', signal, () => undefined);
  const b = calls.wait('b', signal, () => undefined);
  const c = calls.wait('c', signal, () => undefined);
  const unreachable = new Error('unreachable');
  calls.reject('a', unreachable);
  calls.reject('unknown', new Error('ignored'));
  await assert.rejects(a, (err) => err === unreachable);
  let made = 0;
  calls.rejectAll(() => new Error(`closed ${++made}`));
  const errors = await Promise.allSettled([b, c]);
  assert.deepEqual(
    errors.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'fulfilled')),
    ['closed 1', 'closed 2'],
  );
});

test('a delivered call gets a reply sender that encodes and publishes to replyTo; a cast gets none', async () => {
  const published: [string, string, string][] = [];
  const publish = (replyTo: string, body: string, msgId: string): void => {
    published.push([replyTo, body, msgId]);
  };
  const call = openRequestDelivery(encodeRequest({ ...request, replyTo: 'reply_x' }), publish, silentLogger());
  assert.deepEqual(call?.request, { ...request, replyTo: 'reply_x' });
  await call?.reply?.({ msgId: 'm-1', result: 'pong' });
  assert.deepEqual(published, [['reply_x', '{"msgId":"m-1","result":"pong"}', 'm-1']]);
  await assert.rejects(call?.reply?.({ msgId: 'm-1', result: 1n }) ?? Promise.resolve(), (err: { code?: string }) => err.code === 'MalformedRpcMessage');
  assert.equal(published.length, 1);

  const cast = openRequestDelivery(encodeRequest(request), publish, silentLogger());
  assert.equal(cast?.reply, undefined);
});

test('a malformed delivery is logged with the given fields and yields nothing', () => {
  const lines: LogLine[] = [];
  assert.equal(openRequestDelivery('{"v":2}', () => undefined, captureLogger(lines), { queue: 'compute' }), undefined);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.msg, 'malformed rpc message dropped');
  assert.equal(lines[0]?.fields.queue, 'compute');
  assert.equal((lines[0]?.fields.err as { code?: string }).code, 'MalformedRpcMessage');
});
