import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { RequestContext } from '@strata/auth';
import { ApiVersion } from './microversion.js';
import { afterMarker, markerPage, proxyContext } from './route-helpers.js';

/** A request as the microversion hook and keystone auth leave it, with a policy that records what it was asked. */
function proxyRequest(version: string, allow: boolean): { request: FastifyRequest; ctx: RequestContext; asked: string[] } {
  const asked: string[] = [];
  const check = (rule: string) => (): boolean => {
    asked.push(rule);
    return allow;
  };
  const ctx = new RequestContext({
    requestId: 'req-1',
    userId: 'u1',
    userName: 'demo',
    userDomainId: 'default',
    projectId: 'p1',
    system: false,
    roles: ['member'],
    authToken: 'tok',
    expiresAt: '2099-01-01T00:00:00Z',
    policy: { 'os_compute_api:flavors': check('os_compute_api:flavors') },
  });
  const request = { apiVersion: ApiVersion.parse(version), context: ctx } as unknown as FastifyRequest;
  return { request, ctx, asked };
}

describe('proxyContext: the deprecated proxy APIs', () => {
  test('up to 2.35: the caller context, after the proxy policy check', () => {
    const { request, ctx, asked } = proxyRequest('2.35', true);
    assert.equal(proxyContext(request), ctx);
    assert.deepEqual(asked, ['os_compute_api:flavors']);
    assert.equal(ctx.authorized, true);
  });

  test('from 2.36: 404 NotFound before any policy check', () => {
    const { request, ctx, asked } = proxyRequest('2.36', true);
    assert.throws(() => proxyContext(request), { status: 404, code: 'NotFound', message: 'The resource could not be found.' });
    assert.deepEqual(asked, []);
    assert.equal(ctx.authorized, false);
  });

  test('a caller the policy refuses gets 403', () => {
    const { request } = proxyRequest('2.1', false);
    assert.throws(() => proxyContext(request), { status: 403, code: 'PolicyNotAuthorized' });
  });
});

describe('markerPage: paging a list by marker and limit', () => {
  const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
  const ids = (q: Record<string, string>): { page: string[]; full: boolean } => {
    const { page, full } = markerPage(items, q, (i) => i.id);
    return { page: page.map((i) => i.id), full };
  };

  test('limit cuts the page; the marker resumes after its item; a short last page is not full', () => {
    assert.deepEqual(ids({ limit: '2' }), { page: ['a', 'b'], full: true });
    assert.deepEqual(ids({ limit: '2', marker: 'b' }), { page: ['c', 'd'], full: true });
    assert.deepEqual(ids({ limit: '2', marker: 'd' }), { page: ['e'], full: false });
    assert.deepEqual(ids({ marker: 'e' }), { page: [], full: false });
    assert.deepEqual(ids({}), { page: ['a', 'b', 'c', 'd', 'e'], full: false });
    assert.deepEqual(ids({ limit: '0' }), { page: [], full: false });
  });

  test('an unknown marker is a 400 MarkerNotFound; a bad limit is a 400', () => {
    assert.throws(() => ids({ marker: 'zz' }), (err: Error & { status?: number; code?: string }) => err.status === 400 && err.code === 'MarkerNotFound' && err.message === 'Marker zz could not be found.');
    assert.throws(() => ids({ limit: '-1' }), (err: Error & { status?: number }) => err.status === 400);
    assert.throws(() => ids({ limit: 'x' }), (err: Error & { status?: number }) => err.status === 400);
  });

  test('afterMarker leaves the list whole without a marker and does not change it', () => {
    const list = [1, 2, 3];
    assert.deepEqual(afterMarker(list, undefined, String), [1, 2, 3]);
    assert.deepEqual(afterMarker(list, '1', String), [2, 3]);
    assert.deepEqual(list, [1, 2, 3]);
  });
});
