// QmpClient against a scripted QMP server on a unix socket: greeting, capabilities, ids, errors, events, close.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient, QmpClosedError, QmpError } from './qmp-client.js';

interface FakeQemu {
  readonly path: string;
  readonly server: Server;
  readonly received: Record<string, unknown>[];
  sockets: Socket[];
  event(name: string, data?: Record<string, unknown>): void;
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A QMP server that answers like QEMU 7.2: greeting, then one JSON line per reply, out of order when asked. */
async function fakeQemu(options: { greet?: boolean; answer?: (msg: Record<string, unknown>, reply: (o: object) => void) => void } = {}): Promise<FakeQemu> {
  const dir = await mkdtemp(join(tmpdir(), 'qmp-'));
  dirs.push(dir);
  const path = join(dir, 'qmp.sock');
  const received: Record<string, unknown>[] = [];
  const fake: FakeQemu = {
    path,
    received,
    sockets: [],
    server: createServer((sock) => {
      fake.sockets.push(sock);
      if (options.greet !== false) sock.write(`${JSON.stringify({ QMP: { version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7' }, capabilities: ['oob'] } })}\r\n`);
      let buf = '';
      sock.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
          buf = buf.slice(nl + 1);
          received.push(msg);
          const reply = (o: object): void => {
            sock.write(`${JSON.stringify(o)}\r\n`);
          };
          if (msg.execute === 'qmp_capabilities') reply({ return: {}, id: msg.id });
          else if (options.answer) options.answer(msg, reply);
          else reply({ return: {}, id: msg.id });
        }
      });
    }),
    event(name, data = {}) {
      for (const s of fake.sockets) s.write(`${JSON.stringify({ timestamp: { seconds: 1, microseconds: 2 }, event: name, data })}\r\n`);
    },
  };
  await new Promise<void>((resolve) => fake.server.listen(path, resolve));
  return fake;
}

describe('QmpClient', () => {
  test('greets, negotiates capabilities, reads the version', async () => {
    const q = await fakeQemu();
    const c = await QmpClient.connect(q.path);
    assert.deepEqual(c.version, { major: 7, minor: 2, micro: 22, package: 'Debian 1:7.2+dfsg-7' });
    assert.equal(q.received[0]?.execute, 'qmp_capabilities');
    assert.equal(typeof q.received[0]?.id, 'string');
    await c.close();
    q.server.close();
  });

  test('matches answers to commands by id, also out of order', async () => {
    const pending: [Record<string, unknown>, (o: object) => void][] = [];
    const q = await fakeQemu({
      answer: (msg, reply) => {
        pending.push([msg, reply]);
        if (pending.length === 2) {
          const [[m1, r1], [m2, r2]] = pending as [[Record<string, unknown>, (o: object) => void], [Record<string, unknown>, (o: object) => void]];
          r2({ return: { status: 'paused', running: false }, id: m2.id });
          r1({ return: { enabled: true, service: '5901' }, id: m1.id });
        }
      },
    });
    const c = await QmpClient.connect(q.path);
    const [vnc, status] = await Promise.all([c.execute<{ service: string }>('query-vnc'), c.execute<{ status: string }>('query-status')]);
    assert.equal(vnc.service, '5901');
    assert.equal(status.status, 'paused');
    assert.notEqual(q.received[1]?.id, q.received[2]?.id);
    await c.close();
    q.server.close();
  });

  test('sends arguments and turns QMP errors into QmpError with the class', async () => {
    const q = await fakeQemu({ answer: (msg, reply) => reply({ error: { class: 'DeviceNotFound', desc: "Device 'disk-vol-vdb' not found" }, id: msg.id }) });
    const c = await QmpClient.connect(q.path);
    await assert.rejects(c.execute('device_del', { id: 'disk-vol-vdb' }), (e: unknown) => {
      assert.ok(e instanceof QmpError);
      assert.equal(e.errorClass, 'DeviceNotFound');
      assert.match(e.message, /device_del: Device 'disk-vol-vdb' not found/);
      return true;
    });
    assert.deepEqual(q.received[1], { execute: 'device_del', arguments: { id: 'disk-vol-vdb' }, id: q.received[1]?.id });
    await c.close();
    q.server.close();
  });

  test('delivers events, and waitForEvent matches on data', async () => {
    const q = await fakeQemu();
    const c = await QmpClient.connect(q.path);
    const seen: string[] = [];
    c.on('event', (e) => seen.push(e.event));
    const wanted = c.waitForEvent('DEVICE_DELETED', (e) => e.data.device === 'nic-1', { timeoutMs: 2000 });
    q.event('DEVICE_DELETED', { path: '/machine/peripheral/nic-1/virtio-backend' });
    q.event('DEVICE_DELETED', { device: 'nic-1', path: '/machine/peripheral/nic-1' });
    const ev = await wanted;
    assert.equal(ev.data.device, 'nic-1');
    assert.deepEqual(seen, ['DEVICE_DELETED', 'DEVICE_DELETED']);
    await assert.rejects(c.waitForEvent('SHUTDOWN', () => true, { timeoutMs: 50 }), /no QMP SHUTDOWN event within 50 ms/);
    await c.close();
    q.server.close();
  });

  test('a closed connection rejects pending commands and waits, and emits close once', async () => {
    const q = await fakeQemu({ answer: () => undefined });
    const c = await QmpClient.connect(q.path);
    let closes = 0;
    c.on('close', () => (closes += 1));
    const cmd = c.execute('quit');
    const wait = c.waitForEvent('SHUTDOWN');
    for (const s of q.sockets) s.destroy();
    await assert.rejects(cmd, QmpClosedError);
    await assert.rejects(wait, QmpClosedError);
    assert.equal(c.closed, true);
    await assert.rejects(c.execute('query-status'), QmpClosedError);
    assert.equal(closes, 1);
    q.server.close();
  });

  test('times out a command that gets no answer, and honours an abort signal', async () => {
    const q = await fakeQemu({ answer: () => undefined });
    const c = await QmpClient.connect(q.path);
    await assert.rejects(c.execute('query-status', undefined, { timeoutMs: 30 }), /no answer within 30 ms/);
    const ac = new AbortController();
    const p = c.execute('query-status', undefined, { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    await c.close();
    q.server.close();
  });

  test('connect fails on a socket that never greets, and on a missing socket', async () => {
    const q = await fakeQemu({ greet: false });
    await assert.rejects(QmpClient.connect(q.path, { timeoutMs: 100 }), /timed out|closed/);
    q.server.close();
    await assert.rejects(QmpClient.connect(join(tmpdir(), 'no-such-dir-for-qmp', 'qmp.sock'), { timeoutMs: 100 }), /ENOENT/);
  });
});
