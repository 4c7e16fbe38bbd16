// Unit tests of the envelope codec: what decodes, what is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, type RpcRequest } from './rpc-envelope.js';

const request: RpcRequest = {
  v: 1,
  method: 'buildAndRunInstance',
  args: { instanceId: 'i-1', flavor: { vcpus: 2 } },
  ctx: { requestId: 'req-1', globalRequestId: 'req-0', roles: ['member'], trace: { traceId: 't', parentStep: 2 } },
  version: '1.3',
  msgId: 'm-1',
  replyTo: 'reply_x',
  sentAt: '2024-01-01T00:00:00.000Z',
};

function without(key: string): string {
  const copy: Record<string, unknown> = { ...request };
  delete copy[key];
  return JSON.stringify(copy);
}

test('a request survives encode and decode unchanged', () => {
  assert.deepEqual(decodeRequest(encodeRequest(request)), request);
});

test('decodeRequest rejects anything that is not a v1 envelope', () => {
  const bad: Record<string, string> = {
    'not json': '{',
    'an array': '[]',
    'envelope v2': JSON.stringify({ ...request, v: 2 }),
    'no method': without('method'),
    'no msgId': without('msgId'),
    'no ctx': without('ctx'),
    'no sentAt': without('sentAt'),
    'args as a list': JSON.stringify({ ...request, args: [1] }),
    'a bad version': JSON.stringify({ ...request, version: '1' }),
    'ctx without requestId': JSON.stringify({ ...request, ctx: { roles: [] } }),
    'roles that are not strings': JSON.stringify({ ...request, ctx: { requestId: 'r', roles: [1] } }),
    'a trace without traceId': JSON.stringify({ ...request, ctx: { requestId: 'r', roles: [], trace: {} } }),
    'replyTo that is not a string': JSON.stringify({ ...request, replyTo: 5 }),
  };
  for (const [name, text] of Object.entries(bad)) {
    assert.throws(() => decodeRequest(text), (err: { code?: string }) => err.code === 'MalformedRpcMessage', name);
  }
});

test('encoding values JSON cannot carry fails with MalformedRpcMessage', () => {
  assert.throws(() => encodeRequest({ ...request, args: { n: 1n } }), (err: { code?: string; message: string }) => {
    return err.code === 'MalformedRpcMessage' && err.message.includes('buildAndRunInstance');
  });
  assert.throws(() => encodeReply({ msgId: 'm', result: { n: 1n } }), (err: { code?: string }) => err.code === 'MalformedRpcMessage');
});

test('replies decode to a result (null when absent) or a wire error', () => {
  assert.deepEqual(decodeReply(encodeReply({ msgId: 'm', result: { a: 1 } })), { msgId: 'm', result: { a: 1 } });
  assert.deepEqual(decodeReply('{"msgId":"m"}'), { msgId: 'm', result: null });
  const error = { name: 'NotFound', code: 'NotFound', status: 404, message: 'gone', fields: { id: 'x' } };
  assert.deepEqual(decodeReply(encodeReply({ msgId: 'm', error })), { msgId: 'm', error });
  assert.throws(() => decodeReply('{"msgId":"m","error":{"code":"X"}}'), (err: { code?: string }) => err.code === 'MalformedRpcMessage');
  assert.throws(() => decodeReply('{"result":1}'), (err: { code?: string }) => err.code === 'MalformedRpcMessage');
});
