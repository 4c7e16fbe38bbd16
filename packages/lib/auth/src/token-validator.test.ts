import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHttpStub } from '@strata/testing';
import { TokenValidator } from './token-validator.js';

/** What the stand-in keystone does with one validation request. */
type Answer = 'valid' | 'invalid' | 'unavailable' | 'reset' | 'hang';

/** A stand-in keystone: answers GET /v3/auth/tokens as `script` says for the n-th request (from 1) and counts them. */
interface FakeKeystone {
  readonly authUrl: string;
  readonly calls: () => number;
  readonly close: () => Promise<void>;
}

async function startKeystone(script: (call: number) => Answer | Promise<Answer>): Promise<FakeKeystone> {
  let calls = 0;
  const stub = await startHttpStub((req, res) => {
    calls += 1;
    void (async () => {
      const answer = await script(calls);
      if (answer === 'hang') return;
      if (answer === 'reset') return void req.socket.destroy();
      res.setHeader('content-type', 'application/json');
      if (answer === 'invalid') return void res.writeHead(404).end(JSON.stringify({ error: { code: 404, title: 'Not Found', message: 'Could not find token.' } }));
      if (answer === 'unavailable') return void res.writeHead(503).end(JSON.stringify({ error: { code: 503, title: 'Service Unavailable', message: 'busy' } }));
      const now = Date.now();
      const token = {
        methods: ['password'],
        user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } },
        project: { id: 'p1', name: 'demo', domain: { id: 'default', name: 'Default' } },
        roles: [{ id: 'r1', name: 'member' }],
        expires_at: new Date(now + 3_600_000).toISOString(),
        issued_at: new Date(now).toISOString(),
        audit_ids: ['a1'],
      };
      res.setHeader('x-subject-token', String(req.headers['x-subject-token']));
      res.writeHead(200).end(JSON.stringify({ token }));
    })();
  });
  return { authUrl: `${stub.url}/v3`, calls: () => calls, close: () => stub.close() };
}

/** Resolves once `cond` holds; fails after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await sleep(5);
  }
}

describe('TokenValidator against a stand-in keystone', () => {
  let ks: FakeKeystone | undefined;
  afterEach(async () => {
    await ks?.close();
    ks = undefined;
  });

  test('200 concurrent validations of a new token make one request to keystone, and later ones none', async () => {
    ks = await startKeystone(async (): Promise<Answer> => {
      await sleep(50);
      return 'valid';
    });
    const validator = new TokenValidator({ authUrl: ks.authUrl });
    const bodies = await Promise.all(Array.from({ length: 200 }, () => validator.validate('tok-1')));
    assert.ok(bodies.every((b) => b.user.name === 'alice' && b.project?.id === 'p1'));
    assert.equal(ks.calls(), 1);
    await validator.validate('tok-1');
    assert.equal(ks.calls(), 1);
    assert.equal(validator.keystoneCalls, 1);
  });

  test('a connection reset is retried, and every caller waiting on the validation gets the token', async () => {
    ks = await startKeystone((n) => (n === 1 ? 'reset' : 'valid'));
    const validator = new TokenValidator({ authUrl: ks.authUrl, retryDelayMs: 1 });
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => validator.validate('tok-2')));
    assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
    assert.equal(ks.calls(), 2);
  });

  test('keystone answering 503 is retried; after the retries callers get 503, and the failure is not cached', async () => {
    ks = await startKeystone((n) => (n <= 3 ? 'unavailable' : 'valid'));
    const validator = new TokenValidator({ authUrl: ks.authUrl, retries: 2, retryDelayMs: 1 });
    const failures = await Promise.allSettled(Array.from({ length: 50 }, () => validator.validate('tok-3')));
    for (const f of failures) {
      assert.equal(f.status, 'rejected');
      assert.equal((f as PromiseRejectedResult).reason.status, 503);
      assert.equal((f as PromiseRejectedResult).reason.message, 'The identity service is not available.');
    }
    assert.equal(ks.calls(), 3, 'one request and two retries, shared by all 50 callers');
    assert.equal((await validator.validate('tok-3')).user.id, 'u1');
    assert.equal(ks.calls(), 4);
  });

  test('a timeout is not retried, and a refused token is a 401 without retries', async () => {
    ks = await startKeystone((n) => (n === 1 ? 'hang' : 'invalid'));
    const validator = new TokenValidator({ authUrl: ks.authUrl, timeoutMs: 200, retryDelayMs: 1 });
    await assert.rejects(validator.validate('tok-4'), (err: { status?: number }) => err.status === 503);
    assert.equal(ks.calls(), 1);
    await assert.rejects(validator.validate('tok-4'), (err: { status?: number; code?: string }) => err.status === 401 && err.code === 'InvalidToken');
    assert.equal(ks.calls(), 2);
  });

  test('a token in use is revalidated before its entry ends, and callers do not wait for that', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    ks = await startKeystone(async (n): Promise<Answer> => {
      if (n === 2) await gate;
      return 'valid';
    });
    const validator = new TokenValidator({ authUrl: ks.authUrl, cacheTtlMs: 3000 });
    await validator.validate('tok-5');
    const firstEnds = Date.now() + 3000;
    await sleep(2500);
    // Keystone holds the revalidation; the cached answer still comes at once.
    let answered = false;
    const inWindow = validator.validate('tok-5').then((b) => {
      answered = true;
      return b;
    });
    await until(() => ks?.calls() === 2);
    await sleep(20);
    assert.ok(answered, 'the caller waited for the revalidation');
    // More callers while it is held join it: no second revalidation.
    await Promise.all([validator.validate('tok-5'), validator.validate('tok-5')]);
    await sleep(20);
    assert.equal(ks.calls(), 2, 'a burst sent more than one revalidation');
    assert.ok(Date.now() < firstEnds, 'the machine was too slow for this test');
    assert.equal((await inWindow).user.id, 'u1');
    open();
    await sleep(Math.max(0, firstEnds - Date.now()) + 100);
    // Past the first entry's end: the revalidated entry answers, without another request.
    assert.equal((await validator.validate('tok-5')).user.id, 'u1');
    assert.equal(ks.calls(), 2);
  });

  test('a revalidation that keystone refuses ends the entry at once', async () => {
    ks = await startKeystone((n) => (n === 1 ? 'valid' : 'invalid'));
    const validator = new TokenValidator({ authUrl: ks.authUrl, cacheTtlMs: 3000 });
    await validator.validate('tok-6');
    const firstEnds = Date.now() + 3000;
    await sleep(2500);
    assert.equal((await validator.validate('tok-6')).user.id, 'u1', 'still within the TTL');
    let refused: unknown;
    while (refused === undefined && Date.now() < firstEnds - 100) {
      await validator.validate('tok-6').catch((err: unknown) => (refused = err));
      await sleep(10);
    }
    assert.equal((refused as { status?: number } | undefined)?.status, 401, 'still accepted until the entry ended');
  });
});
