import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { RequestContext } from '@strata/auth';
import { ApiVersion } from './microversion.js';
import { proxyContext } from './route-helpers.js';

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
