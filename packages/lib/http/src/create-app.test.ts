import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conflict, NotFound } from '@strata/errors';
import { silentLogger } from '@strata/log';
import { createApp } from './create-app.js';
import type { ErrorDialect } from './error-dialects.js';

function build(dialect: ErrorDialect) {
  const app = createApp({ service: 'test', dialect, logger: silentLogger(), bodyLimit: 1024, requestIdHeader: 'x-compute-request-id' });
  app.post(
    '/things',
    { schema: { body: { type: 'object', required: ['thing'], additionalProperties: false, properties: { thing: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } } } } },
    async (req, reply) => reply.code(201).send(req.body),
  );
  app.get('/things/:id', async (req) => {
    const id = (req.params as { id: string }).id;
    if (id === 'dup') throw new Conflict('Duplicate thing.');
    throw new NotFound(`Thing ${id} could not be found.`, { id }, 'ThingNotFound');
  });
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  app.delete('/things/:id', async (_req, reply) => reply.code(204).send());
  return app;
}

test('errors render in each service dialect', async () => {
  const cases: Array<[ErrorDialect, (b: any) => void]> = [
    ['compute', (b) => assert.deepEqual(b, { itemNotFound: { code: 404, message: 'Thing x could not be found.' } })],
    ['volume', (b) => assert.deepEqual(b, { itemNotFound: { code: 404, message: 'Thing x could not be found.' } })],
    ['identity', (b) => assert.deepEqual(b, { error: { code: 404, title: 'Not Found', message: 'Thing x could not be found.' } })],
    ['network', (b) => assert.deepEqual(b, { NeutronError: { type: 'ThingNotFound', message: 'Thing x could not be found.', detail: '' } })],
  ];
  for (const [dialect, check] of cases) {
    const res = await build(dialect).inject({ method: 'GET', url: '/things/x' });
    assert.equal(res.statusCode, 404);
    check(res.json());
  }
  const conflict = await build('compute').inject({ method: 'GET', url: '/things/dup' });
  assert.deepEqual(conflict.json(), { conflictingRequest: { code: 409, message: 'Duplicate thing.' } });
});

test('every response carries the request id headers, and a valid global id is kept', async () => {
  const app = build('compute');
  let seen: string | undefined;
  app.get('/global', async (req) => {
    seen = req.globalRequestId;
    return {};
  });
  const res = await app.inject({ method: 'GET', url: '/global', headers: { 'x-openstack-request-id': 'req-11111111-2222-3333-4444-555555555555' } });
  assert.match(String(res.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
  assert.equal(res.headers['x-compute-request-id'], res.headers['x-openstack-request-id']);
  assert.equal(seen, 'req-11111111-2222-3333-4444-555555555555');
  const bad = await app.inject({ method: 'GET', url: '/global', headers: { 'x-openstack-request-id': 'nonsense' } });
  assert.equal(bad.statusCode, 200);
  assert.equal(seen, undefined);
});

test('schema violations, malformed JSON and oversized bodies get 400/400/413', async () => {
  const app = build('compute');
  const missing = await app.inject({ method: 'POST', url: '/things', payload: { thing: {} } });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().badRequest.message, /'name' is a required property/);
  const extra = await app.inject({ method: 'POST', url: '/things', payload: { thing: { name: 'a' }, other: 1 } });
  assert.equal(extra.statusCode, 400);
  assert.match(extra.json().badRequest.message, /'other' was unexpected/);
  const malformed = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{"thing": ' });
  assert.equal(malformed.statusCode, 400);
  assert.ok(malformed.json().badRequest);
  const big = await app.inject({ method: 'POST', url: '/things', payload: { thing: { name: 'x'.repeat(4096) } } });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().overLimit.code, 413);
  const ok = await app.inject({ method: 'POST', url: '/things', payload: { thing: { name: 'a' } } });
  assert.equal(ok.statusCode, 201);
});

test('unknown routes are 404s in dialect; 500s hide their details; empty JSON bodies are accepted', async () => {
  const app = build('identity');
  const nf = await app.inject({ method: 'GET', url: '/nowhere' });
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.json().error.title, 'Not Found');
  const boom = await app.inject({ method: 'GET', url: '/boom' });
  assert.equal(boom.statusCode, 500);
  assert.doesNotMatch(boom.body, /secret internal detail/);
  const del = await app.inject({ method: 'DELETE', url: '/things/1', headers: { 'content-type': 'application/json' } });
  assert.equal(del.statusCode, 204);
  const slash = await build('compute').inject({ method: 'GET', url: '/things/x/' });
  assert.equal(slash.statusCode, 404);
  assert.ok(slash.json().itemNotFound);
});

test('a known path with another method: 405 with Allow for keystone, glance and neutron; 404 for nova and cinder, as their routers answer', async () => {
  const app = build('identity');
  const put = await app.inject({ method: 'PUT', url: '/things/7?x=1' });
  assert.equal(put.statusCode, 405);
  assert.equal(put.headers.allow, 'GET, HEAD, DELETE');
  assert.equal(put.json().error.code, 405);
  const collection = await build('network').inject({ method: 'DELETE', url: '/things/' });
  assert.equal(collection.statusCode, 405);
  assert.equal(collection.headers.allow, 'POST');
  assert.equal(collection.json().NeutronError.type, 'MethodNotAllowed');
  assert.equal((await app.inject({ method: 'PUT', url: '/elsewhere/7' })).statusCode, 404);
  for (const dialect of ['compute', 'volume'] as const) {
    const blank = await build(dialect).inject({ method: 'DELETE', url: '/things/' });
    assert.equal(blank.statusCode, 404, `${dialect}: DELETE on the collection (a blank id)`);
    assert.equal(blank.json().itemNotFound.code, 404);
  }
});
