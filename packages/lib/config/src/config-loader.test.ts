import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, sampleConfig, ConfigError } from './config-loader.js';
import { boolOpt, durationOpt, enumOpt, intOpt, portOpt, stringOpt, urlOpt } from './options.js';

const schema = {
  database: { connection: urlOpt('sqlite://:memory:', ['sqlite', 'postgresql', 'mysql'], 'The database.') },
  identity: {
    port: portOpt(5000, 'Port.'),
    token_expiration: durationOpt(3_600_000, 'Token lifetime.', 1000),
    debug: boolOpt(false, 'Debug.'),
    workers: intOpt(1, 'Workers.', 1, 8),
    driver: enumOpt('fake', ['fake', 'qemu'], 'Driver.'),
    region: stringOpt('RegionOne', 'Region.'),
  },
} as const;

function tomlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
  const file = join(dir, 'strata.toml');
  writeFileSync(file, text);
  return file;
}

test('defaults apply when nothing is given, and the result is frozen', () => {
  const c = loadConfig(schema);
  assert.equal(c.identity.port, 5000);
  assert.equal(c.identity.token_expiration, 3_600_000);
  assert.equal(c.database.connection, 'sqlite://:memory:');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.identity));
});

test('precedence is defaults < file < environment < overrides', () => {
  const file = tomlFile('[identity]\nport = 5001\nregion = "FileRegion"\ntoken_expiration = "2h"\n');
  const c = loadConfig(schema, { file, env: { OS_IDENTITY__PORT: '5002', OS_IDENTITY__DEBUG: 'yes' }, overrides: { identity: { workers: 4 } } });
  assert.equal(c.identity.port, 5002);
  assert.equal(c.identity.region, 'FileRegion');
  assert.equal(c.identity.token_expiration, 7_200_000);
  assert.equal(c.identity.debug, true);
  assert.equal(c.identity.workers, 4);
});

test('a bad value names the key and the value', () => {
  assert.throws(
    () => loadConfig(schema, { env: { OS_IDENTITY__PORT: 'eighty' } }),
    (err: unknown) => err instanceof ConfigError && err.key === 'identity.port' && /"eighty"/.test(err.message),
  );
  assert.throws(() => loadConfig(schema, { env: { OS_IDENTITY__PORT: '70000' } }), /identity\.port/);
  assert.throws(() => loadConfig(schema, { env: { OS_IDENTITY__DRIVER: 'xen' } }), /expected one of fake, qemu/);
  assert.throws(() => loadConfig(schema, { env: { OS_DATABASE__CONNECTION: 'oracle://x' } }), /database\.connection/);
  assert.throws(() => loadConfig(schema, { file: tomlFile('[identity]\ntoken_expiration = "soon"\n') }), /identity\.token_expiration/);
});

test('unknown groups and keys are errors, invalid TOML too', () => {
  assert.throws(() => loadConfig(schema, { file: tomlFile('[nova]\nx = 1\n') }), /unknown config group \[nova\]/);
  assert.throws(() => loadConfig(schema, { file: tomlFile('[identity]\nprot = 1\n') }), /unknown config key identity\.prot/);
  assert.throws(() => loadConfig(schema, { file: tomlFile('[identity\n') }), /not valid TOML/);
});

test('a missing file means defaults; the sample lists every option', () => {
  const c = loadConfig(schema, { file: '/nonexistent/strata.toml' });
  assert.equal(c.identity.port, 5000);
  const sample = sampleConfig(schema);
  assert.match(sample, /\[identity\]/);
  assert.match(sample, /# port = 5000/);
  assert.match(sample, /Possible values/);
});
