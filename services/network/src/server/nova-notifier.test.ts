import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { silentLogger } from '@strata/log';
import { NovaNotifier, type NovaEvent } from './nova-notifier.js';

const EVENT: NovaEvent = { name: 'network-vif-plugged', serverUuid: '11111111-2222-4333-8444-555555555555', tag: 'port-1', status: 'completed' };

/** keystone (token validation with a catalog naming nova) and nova's external events, in one server. */
describe('NovaNotifier credentials', () => {
  let server: Server;
  let base: string;
  /** Tokens nova accepts; every POST's token is recorded. */
  let valid = new Set<string>();
  let novaStatus = 200;
  const posted: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const token = String(req.headers['x-auth-token'] ?? '');
      const reply = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      req.resume();
      req.on('end', () => {
        if (req.url?.startsWith('/v3/auth/tokens') === true) {
          if (!valid.has(token)) return reply(401, { error: { code: 401, title: 'Unauthorized', message: 'bad token' } });
          return reply(200, { token: { catalog: [{ type: 'compute', name: 'nova', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `${base}/v2.1` }] }] } });
        }
        posted.push(token);
        if (!valid.has(token)) return reply(401, { error: { code: 401, title: 'Unauthorized', message: 'bad token' } });
        return reply(novaStatus, novaStatus === 200 ? { events: [] } : { computeFault: { code: novaStatus, message: 'broken' } });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('a token nova refuses (401) goes back to the source once, and the events are sent with the new one', async () => {
    const notifier = new NovaNotifier({ authUrl: `${base}/v3`, logger: silentLogger() });
    assert.equal(await notifier.notify([EVENT]), 'no-credentials');
    const asked: Array<string | undefined> = [];
    let current = 'tok-1';
    notifier.useTokenProvider(async (rejected) => {
      asked.push(rejected);
      if (rejected === current) current = `tok-${Number(current.slice(4)) + 1}`;
      return current;
    });
    valid = new Set(['tok-1']);
    posted.length = 0;
    assert.equal(await notifier.notify([EVENT]), 'sent');
    assert.deepEqual(posted, ['tok-1']);

    // tok-1 revoked (e.g. neutron's user disabled, then enabled again): one retry with tok-2.
    valid = new Set(['tok-2']);
    posted.length = 0;
    asked.length = 0;
    assert.equal(await notifier.notify([EVENT]), 'sent');
    assert.deepEqual(posted, ['tok-1', 'tok-2']);
    assert.deepEqual(asked, [undefined, 'tok-1']);

    // Still refused after the retry, or another failure: reported, no second retry.
    valid = new Set();
    posted.length = 0;
    assert.equal(await notifier.notify([EVENT]), 'failed');
    assert.deepEqual(posted, ['tok-2', 'tok-3']);
    valid = new Set(['tok-3']);
    novaStatus = 500;
    posted.length = 0;
    assert.equal(await notifier.notify([EVENT]), 'failed');
    assert.deepEqual(posted, ['tok-3']);
    novaStatus = 200;
  });
});
