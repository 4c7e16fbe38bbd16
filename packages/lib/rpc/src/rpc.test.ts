// The RPC suite, run on every transport: memory:// always, rabbit:// where RabbitMQ is reachable.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Connection } from 'rabbitmq-client';
import { NotFound, OpenStackError, allowRemoteErrors } from '@strata/errors';
import type { Logger } from '@strata/log';
import { skipUnlessReachable } from '@strata/testing';
import { InProcessBroker } from './in-process-broker.js';
import { createTransport, RpcClient, RpcServer, type RpcContext, type RpcClientOptions, type Transport, type TransportOptions } from './index.js';
import { captureLogger, type LogLine } from './test-support.js';

const RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/';
const RABBIT_ADMIN_URL = 'amqp://guest:guest@127.0.0.1:5672';
const RABBITMQCTL = '/usr/sbin/rabbitmqctl';
const execFileAsync = promisify(execFile);

const TRANSPORTS = [
  { name: 'memory', url: 'memory://', skip: undefined },
  { name: 'rabbit', url: RABBIT_URL, skip: await skipUnlessReachable('RabbitMQ', '127.0.0.1', 5672) },
] as const;

/** A unique suffix per run, so reruns and parallel runs never share a queue. */
const RUN = randomBytes(4).toString('hex');

function newCtx(overrides: Partial<RpcContext> = {}): RpcContext {
  return { requestId: `req-${randomUUID()}`, roles: ['member'], ...overrides };
}

/** Resolve with `promise`, or fail the test after `ms` instead of hanging. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    return true;
  };
}

/** Owns everything a test opens, and closes it (and deletes its RabbitMQ queues) afterwards. */
class Harness {
  readonly #url: string;
  readonly #transports: Transport[] = [];
  readonly #servers: RpcServer[] = [];
  readonly #queues = new Set<string>();
  readonly #id = randomBytes(3).toString('hex');

  constructor(t: TestContext, url: string) {
    this.#url = url;
    t.after(() => this.cleanup());
  }

  get isRabbit(): boolean {
    return this.#url.startsWith('rabbit:');
  }

  /** A topic name no other test or run uses. */
  topic(name: string): string {
    return `strata_test_${RUN}_${this.#id}_${name}`;
  }

  async transport(options: TransportOptions = {}): Promise<Transport> {
    const transport = await createTransport(this.#url, options);
    this.#transports.push(transport);
    return transport;
  }

  client(transport: Transport, options: RpcClientOptions): RpcClient {
    return new RpcClient(transport, options);
  }

  async server(transport: Transport, topic: string, server: string, endpoints: object, version = '1.0', logger?: Logger): Promise<RpcServer> {
    this.#queues.add(topic);
    this.#queues.add(`${topic}.${server}`);
    const s = new RpcServer(transport, { topic, server, endpoints, version, ...(logger === undefined ? {} : { logger }) });
    this.#servers.push(s);
    await s.start();
    return s;
  }

  /** Put a raw body on `<topic>`, bypassing the client (to test what servers do with garbage). */
  async injectRaw(topic: string, body: string): Promise<void> {
    if (!this.isRabbit) {
      const broker = InProcessBroker.acquire(this.#url);
      broker.publish({ topic }, body);
      InProcessBroker.release(this.#url);
      return;
    }
    const admin = new Connection(RABBIT_ADMIN_URL);
    const publisher = admin.createPublisher({ confirm: true });
    await publisher.send({ exchange: 'strata', routingKey: topic, contentType: 'application/octet-stream' }, Buffer.from(body));
    await publisher.close();
    await admin.close();
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#servers.map((s) => s.stop()));
    await Promise.all(this.#transports.map((t) => t.close()));
    if (this.isRabbit && this.#queues.size > 0) {
      const admin = new Connection(RABBIT_ADMIN_URL);
      for (const queue of this.#queues) await admin.queueDelete({ queue });
      await admin.close();
    }
  }
}

for (const variant of TRANSPORTS) {
  describe(`${variant.name}: rpc`, { skip: variant.skip }, () => {
    test('call returns the handler result, JSON-serialized on the way', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('call');
      let seenArgs: unknown;
      const sent = { when: new Date(0), list: [1, 'x', null], nested: { gone: undefined, kept: true } };
      await h.server(await h.transport(), topic, 'host1', {
        add: async (_ctx: RpcContext, args: { a: number; b: number }) => ({ sum: args.a + args.b }),
        nothing: async () => undefined,
        echo: async (_ctx: RpcContext, args: unknown) => {
          seenArgs = args;
          return args;
        },
      });
      const client = h.client(await h.transport(), { topic, timeoutMs: 5000 });
      assert.deepEqual(await client.call(newCtx(), 'add', { a: 2, b: 3 }), { sum: 5 });
      assert.equal(await client.call(newCtx(), 'nothing', {}), null);
      const echoed = await client.call(newCtx(), 'echo', sent);
      const asJson = { when: '1970-01-01T00:00:00.000Z', list: [1, 'x', null], nested: { kept: true } };
      assert.deepEqual(seenArgs, asJson);
      assert.deepEqual(echoed, asJson);
      assert.notEqual(seenArgs, sent);
    });

    test('cast is delivered, never synchronously inside the send', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('cast');
      const received: number[] = [];
      await h.server(await h.transport(), topic, 'host1', {
        record: async (_ctx: RpcContext, args: { n: number }) => {
          received.push(args.n);
        },
      });
      const client = h.client(await h.transport(), { topic });
      const sending = client.cast(newCtx(), 'record', { n: 7 });
      assert.deepEqual(received, [], 'handler ran inside cast()');
      await sending;
      await waitFor(() => received.length === 1, 5000, 'the cast');
      assert.deepEqual(received, [7]);
    });

    test('the envelope carries the context, and only the context fields', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('ctx');
      const seen: RpcContext[] = [];
      await h.server(await h.transport(), topic, 'host1', {
        whoami: async (ctx: RpcContext) => {
          seen.push(ctx);
          return ctx.requestId;
        },
      });
      const client = h.client(await h.transport(), { topic, timeoutMs: 5000 });
      const ctx: RpcContext = {
        requestId: `req-${randomUUID()}`,
        globalRequestId: `req-${randomUUID()}`,
        userId: 'u1',
        projectId: 'p1',
        roles: ['admin', 'member'],
        trace: { traceId: 'trace-1', parentStep: 3 },
      };
      const withSecret = { ...ctx, authToken: 'gAAAA-secret' } as RpcContext;
      assert.equal(await client.call(withSecret, 'whoami', {}), ctx.requestId);
      await client.cast(withSecret, 'whoami', {});
      await waitFor(() => seen.length === 2, 5000, 'the cast');
      for (const got of seen) {
        assert.deepEqual(got, ctx);
        assert.equal('authToken' in got, false);
      }
    });

    test('errors keep status and code for 4xx and allowed codes; anything else becomes RemoteError', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('errors');
      const allowedCode = `HostBusy${RUN}`;
      const unlistedCode = `Unlisted${RUN}`;
      allowRemoteErrors(allowedCode);
      await h.server(await h.transport(), topic, 'host1', {
        notFound: async () => {
          throw new NotFound('Instance i-9 could not be found.', { instanceId: 'i-9' }, 'InstanceNotFound');
        },
        allowed: async () => {
          throw new OpenStackError(503, allowedCode, 'host is busy', { host: 'host1' });
        },
        unlisted: async () => {
          throw new OpenStackError(502, unlistedCode, 'bad gateway');
        },
        boom: async () => {
          throw new Error('boom');
        },
        syncThrow: () => {
          throw new TypeError('not even async');
        },
        bigint: async () => ({ n: 1n }),
        ok: async () => 'still serving',
      });
      const client = h.client(await h.transport(), { topic, timeoutMs: 5000 });
      await assert.rejects(client.call(newCtx(), 'notFound', {}), (err: OpenStackError) => {
        assert.equal(err.status, 404);
        assert.equal(err.code, 'InstanceNotFound');
        assert.equal(err.message, 'Instance i-9 could not be found.');
        assert.deepEqual(err.fields, { instanceId: 'i-9' });
        return true;
      });
      await assert.rejects(client.call(newCtx(), 'allowed', {}), (err: OpenStackError) => {
        assert.equal(err.status, 503);
        assert.equal(err.code, allowedCode);
        assert.deepEqual(err.fields, { host: 'host1' });
        return true;
      });
      const remote = (remoteCode: string, message: string) => (err: OpenStackError) => {
        assert.equal(err.status, 500);
        assert.equal(err.code, 'RemoteError');
        assert.equal(err.fields.remoteCode, remoteCode);
        assert.match(err.message, new RegExp(message));
        return true;
      };
      await assert.rejects(client.call(newCtx(), 'unlisted', {}), remote(unlistedCode, 'bad gateway'));
      await assert.rejects(client.call(newCtx(), 'boom', {}), remote('InternalError', 'boom'));
      await assert.rejects(client.call(newCtx(), 'syncThrow', {}), remote('InternalError', 'not even async'));
      await assert.rejects(client.call(newCtx(), 'bigint', {}), remote('MalformedRpcMessage', 'not JSON-serializable'));
      assert.equal(await client.call(newCtx(), 'ok', {}), 'still serving');
    });

    test('a call nobody serves fails with MessagingTimeout after its timeout', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('unserved');
      const client = h.client(await h.transport(), { topic, timeoutMs: 300 });
      const started = Date.now();
      await assert.rejects(client.call(newCtx(), 'ping', {}), (err: OpenStackError) => {
        assert.equal(err.code, 'MessagingTimeout');
        assert.equal(err.status, 503);
        assert.match(err.message, new RegExp(`300 ms .* ping on topic ${topic}$`));
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 290 && elapsed < 3000, `timed out after ${elapsed} ms`);
      await assert.rejects(client.prepare({ server: 'ghost', timeoutMs: 150 }).call(newCtx(), 'ping', {}), (err: OpenStackError) => {
        assert.equal(err.code, 'MessagingTimeout');
        assert.match(err.message, /on server ghost/);
        assert.equal(err.fields.server, 'ghost');
        return true;
      });
    });

    test('prepare({ server }) reaches only that host', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('direct');
      const notes = new Map<string, number[]>();
      for (const host of ['host1', 'host2', 'host3']) {
        notes.set(host, []);
        await h.server(await h.transport(), topic, host, {
          whoami: async () => host,
          note: async (_ctx: RpcContext, args: { n: number }) => {
            notes.get(host)?.push(args.n);
          },
        });
      }
      const host2 = h.client(await h.transport(), { topic, timeoutMs: 5000 }).prepare({ server: 'host2' });
      const answers = await Promise.all(Array.from({ length: 12 }, () => host2.call<string>(newCtx(), 'whoami', {})));
      assert.deepEqual(new Set(answers), new Set(['host2']));
      for (let n = 0; n < 5; n++) await host2.cast(newCtx(), 'note', { n });
      await waitFor(() => notes.get('host2')?.length === 5, 5000, 'the casts to host2');
      await sleep(100);
      assert.deepEqual(notes.get('host2')?.sort(), [0, 1, 2, 3, 4]);
      assert.deepEqual(notes.get('host1'), []);
      assert.deepEqual(notes.get('host3'), []);
    });

    test('calls to the topic are balanced across its servers', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('balance');
      for (const host of ['host1', 'host2']) {
        await h.server(await h.transport(), topic, host, {
          whoami: async () => {
            await sleep(5);
            return host;
          },
        });
      }
      const client = h.client(await h.transport(), { topic, timeoutMs: 5000 });
      const answers = await Promise.all(Array.from({ length: 40 }, () => client.call<string>(newCtx(), 'whoami', {})));
      const count = (host: string): number => answers.filter((a) => a === host).length;
      assert.equal(count('host1') + count('host2'), 40);
      assert.ok(count('host1') >= 10 && count('host2') >= 10, `host1 ${count('host1')}, host2 ${count('host2')}`);
    });

    test('fanout reaches every server of the topic once, and only casts', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('fanout');
      const heard = new Map<string, number[]>();
      for (const host of ['host1', 'host2', 'host3']) {
        heard.set(host, []);
        await h.server(await h.transport(), topic, host, {
          hear: async (_ctx: RpcContext, args: { n: number }) => {
            heard.get(host)?.push(args.n);
          },
        });
      }
      const otherTopicHeard: number[] = [];
      await h.server(await h.transport(), h.topic('other'), 'host1', {
        hear: async (_ctx: RpcContext, args: { n: number }) => {
          otherTopicHeard.push(args.n);
        },
      });
      const client = h.client(await h.transport(), { topic });
      await client.prepare({ fanout: true }).cast(newCtx(), 'hear', { n: 42 });
      await waitFor(() => [...heard.values()].every((l) => l.length >= 1), 5000, 'every server to hear the fanout');
      await sleep(100);
      assert.deepEqual(Object.fromEntries(heard), { host1: [42], host2: [42], host3: [42] });
      assert.deepEqual(otherTopicHeard, []);
      await assert.rejects(client.prepare({ fanout: true }).call(newCtx(), 'hear', { n: 1 }), hasCode('InvalidRpcTarget'));
      assert.throws(() => client.prepare({ fanout: true, server: 'host1' }), hasCode('InvalidRpcTarget'));
    });

    test('servers refuse other majors and newer minors; clients respect the version cap', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('versions');
      let calls = 0;
      await h.server(
        await h.transport(),
        topic,
        'host1',
        {
          ping: async () => {
            calls += 1;
            return 'pong';
          },
        },
        '1.3',
      );
      const transport = await h.transport();
      const client = h.client(transport, { topic, timeoutMs: 5000 });
      assert.equal(await client.call(newCtx(), 'ping', {}), 'pong');
      assert.equal(await client.prepare({ version: '1.3' }).call(newCtx(), 'ping', {}), 'pong');
      for (const version of ['1.4', '2.0', '0.9']) {
        await assert.rejects(client.prepare({ version }).call(newCtx(), 'ping', {}), (err: OpenStackError) => {
          assert.equal(err.code, 'UnsupportedRpcVersion');
          assert.equal(err.fields.requested, version);
          assert.equal(err.fields.supported, '1.3');
          return true;
        });
      }
      assert.equal(calls, 2);

      const capped = h.client(transport, { topic, timeoutMs: 5000, versionCap: '1.2' });
      assert.equal(capped.canSendVersion('1.2'), true);
      assert.equal(capped.canSendVersion('1.0'), true);
      assert.equal(capped.canSendVersion('1.3'), false);
      assert.equal(capped.canSendVersion('2.0'), false);
      assert.equal(client.canSendVersion('9.9'), true);
      await assert.rejects(capped.prepare({ version: '1.3' }).call(newCtx(), 'ping', {}), hasCode('RpcVersionCapError'));
      await assert.rejects(capped.prepare({ version: '1.3' }).cast(newCtx(), 'ping', {}), hasCode('RpcVersionCapError'));
      assert.equal(await capped.prepare({ version: '1.2' }).call(newCtx(), 'ping', {}), 'pong');
      assert.equal(calls, 3);

    });

    test('only public endpoint methods can be called', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('methods');
      class Endpoints {
        readonly extra = async (): Promise<string> => 'extra';
        async ping(): Promise<string> {
          return 'pong';
        }
        async _internal(): Promise<string> {
          return 'hidden';
        }
        get danger(): () => Promise<string> {
          throw new Error('getter ran');
        }
      }
      const server = await h.server(await h.transport(), topic, 'host1', new Endpoints());
      assert.deepEqual(server.methods, ['extra', 'ping']);
      const client = h.client(await h.transport(), { topic, timeoutMs: 5000 });
      assert.equal(await client.call(newCtx(), 'ping', {}), 'pong');
      assert.equal(await client.call(newCtx(), 'extra', {}), 'extra');
      for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', '_internal', 'danger', 'nope']) {
        await assert.rejects(client.call(newCtx(), method, {}), (err: OpenStackError) => {
          assert.equal(err.code, 'UnsupportedRpcMethod', method);
          assert.equal(err.fields.method, method);
          return true;
        });
      }
    });

    test('malformed messages are dropped and logged; the server keeps serving', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('garbage');
      const lines: LogLine[] = [];
      await h.server(await h.transport({ logger: captureLogger(lines) }), topic, 'host1', { ping: async () => 'pong' });
      await h.injectRaw(topic, 'not json at all');
      await h.injectRaw(topic, JSON.stringify({ v: 2, method: 'ping', args: {}, msgId: 'm', version: '1.0' }));
      await waitFor(() => lines.filter((l) => l.msg === 'malformed rpc message dropped').length === 2, 5000, 'two dropped messages');
      const client = h.client(await h.transport(), { topic, timeoutMs: 5000 });
      assert.equal(await client.call(newCtx(), 'ping', {}), 'pong');
    });

    test('200 parallel calls each get their own reply', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('parallel');
      for (const host of ['host1', 'host2']) {
        await h.server(await h.transport(), topic, host, {
          square: async (_ctx: RpcContext, args: { n: number }) => {
            await sleep(args.n % 7);
            return args.n * args.n;
          },
        });
      }
      const client = h.client(await h.transport(), { topic, timeoutMs: 10_000 });
      const ns = Array.from({ length: 200 }, (_, n) => n);
      const results = await Promise.all(ns.map((n) => client.call<number>(newCtx(), 'square', { n })));
      assert.deepEqual(results, ns.map((n) => n * n));
    });

    test('stop() lets running handlers finish and reply; calls left waiting expire with their timeout', async (t) => {
      const h = new Harness(t, variant.url);
      const topic = h.topic('stop');
      let entered!: () => void;
      const running = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let handled = 0;
      const endpoints = {
        slow: async () => {
          handled += 1;
          entered();
          await sleep(200);
          return 'done';
        },
        ping: async () => 'pong',
      };
      const server = await h.server(await h.transport(), topic, 'host1', endpoints);
      const client = h.client(await h.transport(), { topic, timeoutMs: 5000 });
      const call = client.call(newCtx(), 'slow', {});
      await within(running, 5000, 'the handler to start');
      const stopping = server.stop();
      assert.equal(server.state, 'STOPPING');
      assert.equal(await call, 'done');
      await stopping;
      assert.equal(server.state, 'STOPPED');
      await assert.rejects(client.prepare({ timeoutMs: 200 }).call(newCtx(), 'slow', {}), hasCode('MessagingTimeout'));
      assert.equal(handled, 1);
      await assert.rejects(server.start(), /cannot start/);
      // The call above waited in the queue past its timeout: a new server must not run it.
      await sleep(50);
      await h.server(await h.transport(), topic, 'host1', endpoints);
      assert.equal(await client.call(newCtx(), 'ping', {}), 'pong');
      assert.equal(handled, 1, 'an expired call was handled');
    });

    test('close() is idempotent, rejects pending calls and refuses later use', async (t) => {
      const h = new Harness(t, variant.url);
      const transport = await h.transport();
      const client = h.client(transport, { topic: h.topic('closing'), timeoutMs: 30_000 });
      const pending = assert.rejects(client.call(newCtx(), 'ping', {}), hasCode('TransportClosed'));
      await sleep(50);
      const started = Date.now();
      await Promise.all([transport.close(), transport.close()]);
      await pending;
      assert.ok(Date.now() - started < 5000, 'the pending call waited for its timeout');
      await transport.close();
      await assert.rejects(client.call(newCtx(), 'ping', {}), hasCode('TransportClosed'));
      await assert.rejects(client.cast(newCtx(), 'ping', {}), hasCode('TransportClosed'));
      await assert.rejects(new RpcServer(transport, { topic: h.topic('closing'), server: 'h', endpoints: {}, version: '1.0' }).start(), hasCode('TransportClosed'));
    });
  });
}

describe('memory: transports of one URL share a broker', () => {
  test('a different memory URL is a different broker', async (t) => {
    const topic = `strata_test_${RUN}_isolated`;
    const a = new Harness(t, 'memory://a');
    const b = new Harness(t, 'memory://b');
    await a.server(await a.transport(), topic, 'host1', { ping: async () => 'pong' });
    const fromA = a.client(await a.transport(), { topic, timeoutMs: 2000 });
    const fromB = b.client(await b.transport(), { topic, timeoutMs: 150 });
    assert.equal(await fromA.call(newCtx(), 'ping', {}), 'pong');
    await assert.rejects(fromB.call(newCtx(), 'ping', {}), hasCode('MessagingTimeout'));
  });
});

describe('construction', () => {
  test('clients and servers refuse malformed topics, servers, versions and timeouts', async (t) => {
    const h = new Harness(t, 'memory://');
    const transport = await h.transport();
    const client = new RpcClient(transport, { topic: 'compute' });
    assert.throws(() => client.prepare({ version: 'latest' }), TypeError);
    assert.throws(() => client.prepare({ server: 'host.*' }), TypeError);
    assert.throws(() => client.prepare({ timeoutMs: 0 }), TypeError);
    assert.throws(() => new RpcClient(transport, { topic: 'compute.#' }), TypeError);
    assert.throws(() => new RpcClient(transport, { topic: 'compute', versionCap: 'auto' }), TypeError);
    assert.throws(() => new RpcServer(transport, { topic: 'compute', server: 'a b', endpoints: {}, version: '1.0' }), TypeError);
    assert.throws(() => new RpcServer(transport, { topic: 'compute', server: 'h', endpoints: {}, version: '1' }), TypeError);
    assert.equal(new RpcServer(transport, { topic: 'compute', server: 'host-1.example.com', endpoints: {}, version: '1.0' }).state, 'INITIALIZED');
  });

  test('an unknown scheme is a clear error', async () => {
    await assert.rejects(createTransport('kafka://broker:9092'), (err: Error) => err instanceof TypeError && /kafka:\/\/ is not supported/.test(err.message));
    await assert.rejects(createTransport('localhost:5672'), /must look like memory:\/\/ or rabbit:\/\//);
  });

  test('an unreachable broker fails with MessagingUnavailable after connectTimeoutMs, leaving nothing open', async () => {
    const started = Date.now();
    await assert.rejects(createTransport('rabbit://guest:sekrit@127.0.0.1:1/', { connectTimeoutMs: 300 }), (err: OpenStackError) => {
      assert.equal(err.code, 'MessagingUnavailable');
      assert.equal(err.status, 503);
      assert.match(err.message, /rabbit:\/\/127\.0\.0\.1:1\//);
      assert.ok(!err.message.includes('sekrit'));
      return true;
    });
    assert.ok(Date.now() - started < 3000);
  });
});

/** The pids of the broker's connections whose client set `connection_name` to one of `names`. */
async function connectionPids(names: readonly string[]): Promise<string[]> {
  const { stdout } = await execFileAsync(RABBITMQCTL, ['list_connections', 'pid', 'client_properties', '--quiet', '--no-table-headers']);
  return stdout
    .split('\n')
    .filter((line) => names.some((name) => line.includes(`{"connection_name","${name}"}`)))
    .map((line) => line.split('\t')[0] ?? '');
}

/**
 * Drop our own connections from the broker side (as `rabbitmqctl close_all_connections` would, but
 * without disturbing other processes that share the broker).
 */
async function dropConnections(names: readonly string[]): Promise<void> {
  const pids = await connectionPids(names);
  assert.equal(pids.length, names.length, `expected ${names.length} connections named ${names.join(', ')}`);
  await Promise.all(pids.map((pid) => execFileAsync(RABBITMQCTL, ['close_connection', pid, 'test'])));
}

describe('rabbit: connection loss', { skip: TRANSPORTS[1].skip }, () => {
  test('after connections drop mid-stream, calls succeed again and no confirmed cast is lost', { timeout: 45_000 }, async (t) => {
    const h = new Harness(t, RABBIT_URL);
    const topic = h.topic('reconnect');
    const names = [`strata-test-${RUN}-server`, `strata-test-${RUN}-client`];
    const serverLog: LogLine[] = [];
    const clientLog: LogLine[] = [];
    const received = new Map<number, number>();
    await h.server(await h.transport({ logger: captureLogger(serverLog), connectionName: names[0] }), topic, 'host1', {
      record: async (_ctx: RpcContext, args: { n: number }) => {
        received.set(args.n, (received.get(args.n) ?? 0) + 1);
      },
      ping: async () => 'pong',
    });
    const client = h.client(await h.transport({ logger: captureLogger(clientLog), connectionName: names[1] }), { topic, timeoutMs: 15_000 });
    assert.equal(await client.call(newCtx(), 'ping', {}), 'pong');

    // Cast from four workers until the connections were dropped mid-stream and 100 more casts
    // were confirmed on the re-established connection.
    const acked: number[] = [];
    const failed: number[] = [];
    let dropping: Promise<void> | undefined;
    let dropped = false;
    let ackedAfterDrop = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (ackedAfterDrop < 100 && next < 20_000) {
        const n = next++;
        if (n === 100) {
          dropping = dropConnections(names).then(() => {
            dropped = true;
          });
        }
        const sentAfterDrop = dropped;
        try {
          await client.cast(newCtx(), 'record', { n });
          acked.push(n);
          if (sentAfterDrop) ackedAfterDrop += 1;
        } catch {
          failed.push(n);
        }
        await sleep(2);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await dropping;
    assert.ok(ackedAfterDrop >= 100, `only ${ackedAfterDrop} casts were confirmed after the connections dropped`);
    const sentDuringDrop = acked.filter((n) => n > 100).length - ackedAfterDrop;
    assert.ok(sentDuringDrop > 0, 'no cast was in flight while the connections dropped');

    await waitFor(() => acked.every((n) => received.has(n)), 15_000, 'every confirmed cast to be handled').catch(() => undefined);
    const lost = acked.filter((n) => !received.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} confirmed casts were lost`);

    assert.equal(await client.call(newCtx(), 'ping', {}), 'pong');
    const calls = await Promise.all(Array.from({ length: 20 }, () => client.call<string>(newCtx(), 'ping', {})));
    assert.deepEqual(new Set(calls), new Set(['pong']));

    for (const [who, log] of [['server', serverLog], ['client', clientLog]] as const) {
      assert.ok(
        log.some((l) => l.msg === 'amqp connection error' && String((l.fields.err as { code?: unknown } | undefined)?.code) === 'CONNECTION_FORCED'),
        `${who} never saw the forced close`,
      );
      assert.ok(log.some((l) => l.msg === 'amqp reconnected'), `${who} never reconnected`);
    }
    t.diagnostic(`${acked.length} confirmed (${sentDuringDrop} while dropping), ${failed.length} refused, ${[...received.values()].filter((c) => c > 1).length} redelivered twice or more`);
  });
});
