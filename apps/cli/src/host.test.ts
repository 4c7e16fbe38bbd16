import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@strata/log';
import { writeCredentialFiles } from './credential-files.js';
import { HostError, hostAuthUrl, maskTransportUrl, startHost } from './host.js';
import { loadStrataConfig, type StrataConfig } from './strata-config.js';

describe('strata host: what it needs before it starts', () => {
  const dirs: string[] = [];
  const dataDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'strata-host-'));
    dirs.push(d);
    return d;
  };
  const configOf = (dir: string, env: Record<string, string> = {}): StrataConfig => loadStrataConfig({ dataDir: dir, configFile: join(dir, 'strata.toml') }, env);
  const logger = silentLogger();
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('the in-process bus is refused: a host must share the controller bus', async () => {
    const dir = dataDir();
    await assert.rejects(startHost({ name: 'host-a', dataDir: dir, config: configOf(dir), logger }), (err: unknown) => {
      assert.ok(err instanceof HostError);
      assert.match(err.message, /transport_url is memory:\/\/: a host needs the bus it shares with the controller/);
      return true;
    });
  });

  test('a bad host name and a missing nova password are clear errors', async () => {
    const dir = dataDir();
    const config = configOf(dir, { OS_MESSAGING__TRANSPORT_URL: 'rabbit://guest:guest@127.0.0.1:1/x' });
    await assert.rejects(startHost({ name: '../etc', dataDir: dir, config, logger }), /invalid host name "\.\.\/etc"/);
    await assert.rejects(startHost({ name: 'host-a', dataDir: dir, config, logger }), /no password for the service user nova: set \[compute\] service_password/);
  });

  test("without the controller's metadata proxy secret (config or data dir) a host does not start: its relay could not sign", async () => {
    const dir = dataDir();
    const config = configOf(dir, { OS_MESSAGING__TRANSPORT_URL: 'rabbit://guest:guest@127.0.0.1:1/x', OS_COMPUTE__SERVICE_PASSWORD: 'nova-pw' });
    await assert.rejects(startHost({ name: 'host-a', dataDir: dir, config, logger }), (err: unknown) => err instanceof HostError && /no metadata proxy secret: set \[compute\] metadata_proxy_shared_secret/.test(err.message));
    // With it, the host gets past that check (and fails later, on the unreachable keystone).
    const withSecret = configOf(dir, { OS_MESSAGING__TRANSPORT_URL: 'rabbit://guest:guest@127.0.0.1:1/x', OS_COMPUTE__SERVICE_PASSWORD: 'nova-pw', OS_COMPUTE__METADATA_PROXY_SHARED_SECRET: 's', OS_IDENTITY__PORT: '1' });
    await assert.rejects(startHost({ name: 'host-a', dataDir: dir, config: withSecret, logger }), (err: unknown) => err instanceof HostError && /cannot authenticate as the service user nova/.test(err.message));
  });

  test("keystone's URL: the flag, else the controller's openrc, else the configured identity address", () => {
    const dir = dataDir();
    const config = configOf(dir, { OS_IDENTITY__PORT: '5001', OS_DEFAULT__HOST: '0.0.0.0' });
    assert.equal(hostAuthUrl({ dataDir: dir, config }), 'http://127.0.0.1:5001/v3');
    writeCredentialFiles(dir, { authUrl: 'http://10.0.0.5:5000/v3', username: 'admin', password: 'p', projectName: 'admin', region: 'RegionOne' });
    assert.equal(hostAuthUrl({ dataDir: dir, config }), 'http://10.0.0.5:5000/v3');
    assert.equal(hostAuthUrl({ authUrl: 'http://keystone:5000/', dataDir: dir, config }), 'http://keystone:5000/v3');
  });

  test('the bus URL is shown without its password', () => {
    assert.equal(maskTransportUrl('rabbit://guest:secret@127.0.0.1:5672/v'), 'rabbit://guest:***@127.0.0.1:5672/v');
    assert.equal(maskTransportUrl('rabbit://127.0.0.1:5672/'), 'rabbit://127.0.0.1:5672/');
  });
});
