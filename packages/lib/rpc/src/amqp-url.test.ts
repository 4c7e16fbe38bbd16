// Unit tests of rabbit:// URL parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAmqpUrl } from './amqp-url.js';

test('parseAmqpUrl reads credentials, host, port and vhost', () => {
  assert.deepEqual(parseAmqpUrl('rabbit://guest:guest@127.0.0.1:5672/'), {
    hostname: '127.0.0.1',
    port: 5672,
    username: 'guest',
    password: 'guest',
    vhost: '/',
    description: 'rabbit://127.0.0.1:5672/',
  });
  const u = parseAmqpUrl('rabbit://nova:p%40ss%2Fword@mq.example.com/openstack');
  assert.equal(u.username, 'nova');
  assert.equal(u.password, 'p@ss/word');
  assert.equal(u.port, 5672);
  assert.equal(u.vhost, 'openstack');
  assert.equal(parseAmqpUrl('rabbit://h:1234').vhost, '/');
  assert.equal(parseAmqpUrl('rabbit://h/%2F').vhost, '/');
  assert.equal(parseAmqpUrl('rabbit://h').username, 'guest');
});

test('parseAmqpUrl never puts the password in its description or errors', () => {
  assert.ok(!parseAmqpUrl('rabbit://u:sekrit@h:5672/v').description.includes('sekrit'));
  for (const bad of ['amqp://u:sekrit@h/', 'rabbit://u:sekrit@h/a/b', 'rabbit://u:sekrit@h/?ssl=1', 'rabbit://u:sekrit@/v', 'not a url sekrit']) {
    assert.throws(() => parseAmqpUrl(bad), (err: Error) => err instanceof TypeError && !err.message.includes('sekrit'), bad);
  }
});
