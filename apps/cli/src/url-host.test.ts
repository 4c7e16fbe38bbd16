import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localUrlHost, urlHost } from './url-host.js';

test('urlHost brackets IPv6 literals once and leaves names and IPv4 alone', () => {
  assert.equal(urlHost('::1'), '[::1]');
  assert.equal(urlHost('fd00::5'), '[fd00::5]');
  assert.equal(urlHost('[fd00::5]'), '[fd00::5]');
  assert.equal(urlHost('10.0.0.5'), '10.0.0.5');
  assert.equal(urlHost('controller'), 'controller');
});

test('localUrlHost maps wildcard listen addresses to loopback and yields a valid URL host', () => {
  for (const wildcard of ['', '0.0.0.0', '::', '[::]']) assert.equal(localUrlHost(wildcard), '127.0.0.1', `wildcard ${JSON.stringify(wildcard)}`);
  assert.equal(localUrlHost('::1'), '[::1]');
  assert.equal(localUrlHost('[::1]'), '[::1]');
  assert.equal(localUrlHost('192.168.1.10'), '192.168.1.10');
  for (const h of ['::1', 'fe80::1', '0.0.0.0', '10.1.2.3', 'localhost']) {
    const url = new URL(`http://${localUrlHost(h)}:8775/latest`);
    assert.equal(url.port, '8775', `port survives for ${h}`);
  }
  assert.equal(new URL(`http://${localUrlHost('fe80::1')}:80/`).hostname, '[fe80::1]');
});
