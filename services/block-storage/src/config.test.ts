import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@strata/config';
import { blockStorageSchema, parseBackends } from './config.js';

test('enabled_backends: name[:driver[:format]], defaults auto and qcow2, duplicates and junk refused', () => {
  assert.deepEqual(parseBackends('file'), [{ name: 'file', driver: 'auto', format: 'qcow2' }]);
  assert.deepEqual(parseBackends('thin:file:qcow2, thick:file:raw'), [
    { name: 'thin', driver: 'file', format: 'qcow2' },
    { name: 'thick', driver: 'file', format: 'raw' },
  ]);
  assert.deepEqual(parseBackends('f:fake'), [{ name: 'f', driver: 'fake', format: 'qcow2' }]);
  assert.throws(() => parseBackends('a,a'), /listed twice/);
  assert.throws(() => parseBackends('a:lvm'), /bad backend/);
  assert.throws(() => parseBackends(''), /at least one backend/);
});

test('the [block_storage] group loads from the environment and names a bad key', () => {
  const c = loadConfig(blockStorageSchema, { env: { OS_BLOCK_STORAGE__PORT: '0', OS_BLOCK_STORAGE__ENABLED_BACKENDS: 'thin:file,thick:file:raw', OS_BLOCK_STORAGE__REPORT_INTERVAL: '2s' } });
  assert.equal(c.block_storage.port, 0);
  assert.equal(c.block_storage.report_interval, 2000);
  assert.equal(c.block_storage.default_volume_type, '__DEFAULT__');
  assert.throws(() => loadConfig(blockStorageSchema, { env: { OS_BLOCK_STORAGE__ENABLED_BACKENDS: 'x:ceph' } }), /block_storage\.enabled_backends/);
});
