import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { OpenStackError } from '@strata/errors';
import { ApiVersion, negotiateMicroversion, type MicroversionRules, type VersionHeaders } from './microversion.js';
import { renderError } from './error-dialects.js';

const V = (text: string): ApiVersion => ApiVersion.parse(text) as ApiVersion;

const COMPUTE: MicroversionRules = { serviceType: 'compute', legacyHeader: 'x-openstack-nova-api-version', min: V('2.1'), max: V('2.96'), repeated: 'first' };
const VOLUME: MicroversionRules = { serviceType: 'volume', legacyHeader: 'x-openstack-volume-api-version', min: V('3.0'), max: V('3.70'), repeated: 'last' };

/** Asserts that each of `asks` negotiates `version` under `rules`. */
function served(rules: MicroversionRules, version: string, ...asks: VersionHeaders[]): void {
  for (const headers of asks) assert.equal(negotiateMicroversion(rules, headers).toString(), version, JSON.stringify(headers));
}

/** The OpenStackError `negotiateMicroversion` throws for `headers`. */
function rejection(rules: MicroversionRules, headers: VersionHeaders): OpenStackError {
  try {
    negotiateMicroversion(rules, headers);
  } catch (err) {
    assert.ok(err instanceof OpenStackError, `not an OpenStackError: ${String(err)}`);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(headers)}`);
}

/** What a refusal of the version `text` looks like. */
interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly fault: string;
  readonly message: string;
}

const malformed = (_rules: MicroversionRules, text: string): Refusal => ({
  status: 400,
  code: 'InvalidAPIVersionString',
  fault: 'badRequest',
  message: `API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`,
});

const outOfRange = (rules: MicroversionRules, text: string): Refusal => ({
  status: 406,
  code: 'InvalidGlobalAPIVersion',
  fault: 'notAcceptable',
  message: `Version ${text} is not supported by the API. Minimum is ${rules.min} and maximum is ${rules.max}.`,
});

/** Asserts that each `[headers, text]` is refused as `expected(rules, text)` says, in the service's error body too. */
function refused(rules: MicroversionRules, expected: (rules: MicroversionRules, text: string) => Refusal, ...asks: ReadonlyArray<readonly [VersionHeaders, string]>): void {
  for (const [headers, text] of asks) {
    const want = expected(rules, text);
    const e = rejection(rules, headers);
    assert.deepEqual({ status: e.status, code: e.code, message: e.message, fields: e.fields }, { status: want.status, code: want.code, message: want.message, fields: { version: text } });
    assert.deepEqual(renderError(rules.serviceType, e), { [want.fault]: { code: want.status, message: want.message } });
  }
}

describe('ApiVersion', () => {
  test('parses X.Y only', () => {
    assert.deepEqual({ ...V('2.47') }, { major: 2, minor: 47 });
    assert.equal(V(' 3.0 ').toString(), '3.0');
    for (const bad of ['2', '2.', '.1', '2.a', '02.1', '2.01', '-2.1', '2.1.1', '+2.1', 'latest', '', '2 .1']) {
      assert.equal(ApiVersion.parse(bad), undefined, bad);
    }
  });

  test('compares numerically, not as text', () => {
    assert.ok(V('2.10').compare(V('2.9')) > 0);
    assert.ok(V('2.9').compare(V('3.0')) < 0);
    assert.equal(V('2.47').compare(new ApiVersion(2, 47)), 0);
  });

  test('atLeast and between take literals', () => {
    const v = V('2.47');
    assert.ok(v.atLeast('2.47') && v.atLeast('2.9') && !v.atLeast('2.48'));
    assert.ok(v.between('2.47', '2.47') && v.between('2.1', '2.96') && !v.between('2.48', '2.96') && !v.between('2.1', '2.46'));
    assert.throws(() => v.atLeast('2.x'), /PROGRAMMING ERROR/);
    assert.throws(() => v.between('2.1', 'x'), /PROGRAMMING ERROR/);
  });
});

describe('negotiateMicroversion', () => {
  test('no header, an empty header or only other services is the minimum', () => {
    served(COMPUTE, '2.1', {}, { 'openstack-api-version': '' }, { 'x-openstack-nova-api-version': '  ' }, { 'x-openstack-volume-api-version': '3.44' });
    served(VOLUME, '3.0', {}, { 'openstack-api-version': 'compute 2.90' });
  });

  test('the service entry of OpenStack-API-Version, service name in any case', () => {
    served(COMPUTE, '2.37', { 'openstack-api-version': 'compute 2.37' }, { 'openstack-api-version': 'Compute 2.37' });
    served(VOLUME, '3.12', { 'openstack-api-version': 'compute 2.90,  volume   3.12' }, { 'openstack-api-version': ['compute 2.90', 'volume 3.12'] });
    // An entry without a version is not an entry.
    served(VOLUME, '3.44', { 'openstack-api-version': 'volume', 'x-openstack-volume-api-version': '3.44' });
  });

  test('latest is the maximum, in any case and from either header', () => {
    served(COMPUTE, '2.96', { 'openstack-api-version': 'compute latest' });
    served(VOLUME, '3.70', { 'openstack-api-version': 'volume LATEST' }, { 'x-openstack-volume-api-version': 'latest' });
  });

  test('the legacy header alone is read', () => {
    served(COMPUTE, '2.10', { 'x-openstack-nova-api-version': '2.10' });
    served(VOLUME, '3.44', { 'x-openstack-volume-api-version': '3.44' });
  });

  test('with both headers OpenStack-API-Version wins, unless it has no entry for the service', () => {
    served(COMPUTE, '2.26', { 'openstack-api-version': 'volume 3.5, compute 2.26', 'x-openstack-nova-api-version': '2.2' });
    served(COMPUTE, '2.2', { 'openstack-api-version': 'volume 3.5', 'x-openstack-nova-api-version': '2.2' });
    served(VOLUME, '3.12', { 'openstack-api-version': 'volume 3.12', 'x-openstack-volume-api-version': '3.44' });
  });

  test('a repeated value: nova reads the first, cinder the last', () => {
    served(COMPUTE, '2.5', { 'openstack-api-version': 'compute 2.5, compute 2.6' }, { 'x-openstack-nova-api-version': ['2.5', '2.6'] });
    served(VOLUME, '3.6', { 'openstack-api-version': 'volume 3.5, volume 3.6' }, { 'x-openstack-volume-api-version': ['3.5', '3.6'] });
  });

  test('the winning header is checked even when the other would have been fine', () => {
    assert.equal(rejection(COMPUTE, { 'openstack-api-version': 'compute 2.x', 'x-openstack-nova-api-version': '2.2' }).status, 400);
  });

  test('a malformed version is 400 InvalidAPIVersionString', () => {
    refused(COMPUTE, malformed, [{ 'openstack-api-version': 'compute 2.a' }, '2.a']);
    refused(VOLUME, malformed, [{ 'openstack-api-version': 'volume 03.1' }, '03.1'], [{ 'x-openstack-volume-api-version': '3' }, '3']);
  });

  test('a version outside [min, max] is 406 InvalidGlobalAPIVersion', () => {
    refused(COMPUTE, outOfRange, [{ 'openstack-api-version': 'compute 2.97' }, '2.97'], [{ 'openstack-api-version': 'compute 2.0' }, '2.0'], [{ 'x-openstack-nova-api-version': '3.0' }, '3.0']);
    refused(VOLUME, outOfRange, [{ 'openstack-api-version': 'volume 2.0' }, '2.0'], [{ 'x-openstack-volume-api-version': '3.999' }, '3.999']);
    // The bounds themselves are served.
    served(COMPUTE, '2.96', { 'openstack-api-version': 'compute 2.96' });
    served(VOLUME, '3.0', { 'openstack-api-version': 'volume 3.0' });
  });

  test('reads headers as Node parses them off the wire', async () => {
    const app = Fastify();
    app.get('/', async (request) => ({ version: negotiateMicroversion(VOLUME, request.headers).toString() }));
    try {
      const res = await app.inject({ url: '/', headers: { 'OpenStack-API-Version': 'compute 2.90, volume 3.27', 'X-OpenStack-Volume-API-Version': '3.44' } });
      assert.deepEqual(res.json(), { version: '3.27' });
      const legacy = await app.inject({ url: '/', headers: { 'X-OpenStack-Volume-API-Version': ' 3.44 ' } });
      assert.deepEqual(legacy.json(), { version: '3.44' });
    } finally {
      await app.close();
    }
  });
});
