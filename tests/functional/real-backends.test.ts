// The whole cloud on the real backends: `strata up` (a child process) with PostgreSQL or MariaDB
// for every service's database and RabbitMQ as the bus, driven by the real `openstack` CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { addRabbitVhost, hasOpenstackCli, rabbitmqctlProblem, servicesRequired, skipUnlessReachable, startStrataProcess, testDatabases, type RabbitVhost, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);

/** Every database `strata up` opens: the `{service}` of `[database] connection`. */
const SERVICES = ['identity', 'image', 'compute', 'network', 'block_storage'] as const;

/** Why the suite cannot run here (CLI tools missing), or undefined; throws when STRATA_REQUIRE_SERVICES=1. */
function missingTools(): string | undefined {
  const missing = [hasOpenstackCli() ? undefined : 'the openstack CLI is not installed', rabbitmqctlProblem()].filter((m) => m !== undefined);
  if (missing.length === 0) return undefined;
  const message = missing.join('; ');
  if (servicesRequired()) throw new Error(`${message}, and STRATA_REQUIRE_SERVICES=1 requires it`);
  return `${message}: skipped`;
}

const rabbitSkip = (await skipUnlessReachable('RabbitMQ', '127.0.0.1', 5672)) ?? missingTools();
const engines = (await testDatabases()).filter((e) => e.name !== 'sqlite');

// NOTE: the engines' clouds run side by side (each test waits on the CLI and the cloud, not the CPU); the steps of one run in order.
describe('the whole cloud on the real backends', { concurrency: true, timeout: 240_000 }, () => {
  for (const engine of engines) {
    const label = engine.name === 'postgres' ? 'PostgreSQL' : 'MariaDB';
    describe(`strata up on ${label} and RabbitMQ, driven by the openstack CLI`, { skip: engine.skip ?? rabbitSkip, concurrency: 1 }, () => {
      const vhostName = `strata-${engine.name}-${process.pid}`;
      let vhost: RabbitVhost | undefined;
      const dbPrefix = `strata_up_${engine.name}_${process.pid}_${Date.now().toString(36)}`;
      const drops: Array<() => Promise<void>> = [];
      /** `[database] connection`: the URL of the databases made in before(), with `{service}` in the name. */
      let connection = '';
      let dataDir: string;
      let strata: StrataProcess | undefined;
      let env: NodeJS.ProcessEnv | undefined;
      const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 90_000 })).stdout;
      const json = async <T = any>(...args: string[]): Promise<T> => JSON.parse(await osc(...args, '-f', 'json')) as T;
      /** The token of `openstack token issue`: status polls go over REST, far cheaper than a CLI start on busy cores. */
      let token: { id: string; project_id: string };
      const get = async <T = any>(service: string, path: string): Promise<{ status: number; body: T }> => {
        const base = new RegExp(`^\\s+${service}\\s+(http://\\S+)$`, 'm').exec(strata?.output() ?? '')?.[1];
        assert.ok(base !== undefined, `strata up printed no ${service} URL`);
        const res = await fetch(`${base}${path}`, { headers: { 'X-Auth-Token': token.id } });
        return { status: res.status, body: (res.ok ? await res.json() : undefined) as T };
      };
      /** The volume's status once it is `want` (or the last one seen), undefined once it is gone. */
      const volumeStatus = async (id: string, want?: string): Promise<string | undefined> => {
        let status: string | undefined;
        for (let n = 0; n < 150; n++) {
          status = (await get<{ volume: { status: string } }>('block-storage', `/v3/${token.project_id}/volumes/${id}`)).body?.volume.status;
          if (status === want) break;
          await sleep(200);
        }
        return status;
      };
      const start = async (): Promise<void> => {
        // NOTE: a restart keeps keystone's port: the openrc written on first start points at it.
        const identityPort = env?.OS_AUTH_URL !== undefined ? new URL(env.OS_AUTH_URL).port : undefined;
        strata = await startStrataProcess({
          dataDir,
          timeoutMs: 90_000,
          env: {
            OS_DATABASE__CONNECTION: connection,
            OS_MESSAGING__TRANSPORT_URL: vhost!.transportUrl,
            ...(identityPort !== undefined ? { OS_IDENTITY__PORT: identityPort } : {}),
          },
        });
        env = strata.adminEnv;
      };
      let image: string;
      let server: string;
      let volume: string;

      before(async () => {
        dataDir = mkdtempSync(join(tmpdir(), `strata-${engine.name}-`));
        vhost = await addRabbitVhost(vhostName);
        for (const service of SERVICES) {
          const made = await engine.create(`${dbPrefix}_${service}`);
          drops.push(made.drop);
          connection = made.url.replace(`${dbPrefix}_${service}`, `${dbPrefix}_{service}`);
          // strata up creates a service's database when it is missing (as a deployer's CREATE DATABASE).
          await made.drop();
        }
        await start();
      });
      after(async () => {
        const code = await strata?.stop();
        const cleanups = [...drops.map((drop) => drop()), vhost?.remove() ?? Promise.resolve()];
        const results = await Promise.allSettled(cleanups);
        if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
        if (code !== undefined) assert.equal(code, 0, `strata up stops cleanly on SIGTERM:\n${strata?.output().slice(-4000)}`);
        for (const r of results) if (r.status === 'rejected') throw r.reason;
      });

      test('token issue; the RPC queues live in our RabbitMQ vhost', async () => {
        token = await json<{ id: string; project_id: string }>('token', 'issue');
        assert.ok(token.id.length > 20);
        assert.equal((await get('compute', '/v2.1/flavors')).status, 200, 'the CLI token works on the API');
        const queues = (await run('rabbitmqctl', ['list_queues', '-p', vhostName, '--quiet', '--no-table-headers', 'name'])).stdout.split('\n').map((q) => q.trim());
        for (const topic of ['compute', 'conductor', 'scheduler']) assert.ok(queues.includes(topic), `queue ${topic} in vhost ${vhostName}: ${queues.join(' ')}`);
        assert.ok(queues.some((q) => q.startsWith('compute.')), `a per-host compute queue in ${queues.join(' ')}`);
      });

      test('image create, network and subnet create, volume create → available', async () => {
        const file = join(dataDir, 'tiny.img');
        writeFileSync(file, Buffer.alloc(65536, 7));
        const img = await json<{ id: string }>('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', 'rb-tiny');
        image = img.id;
        // NOTE: the CLI prints the image as created, before its upload; show reads it back.
        const shown = (await get<{ status: string; size: number }>('image', `/v2/images/${image}`)).body;
        assert.equal(shown.status, 'active');
        assert.equal(shown.size, 65536);
        await osc('network', 'create', 'rb-net');
        const sub = await json<{ cidr: string; gateway_ip: string }>('subnet', 'create', '--network', 'rb-net', '--subnet-range', '10.77.0.0/24', 'rb-sub');
        assert.equal(sub.cidr, '10.77.0.0/24');
        assert.equal(sub.gateway_ip, '10.77.0.1');
        volume = (await json<{ id: string }>('volume', 'create', '--size', '1', 'rb-vol')).id;
        assert.equal(await volumeStatus(volume, 'available'), 'available');
      });

      test('server create --wait → ACTIVE on the network; server add volume → in-use', async () => {
        const created = await json<{ id: string; status: string; addresses: unknown }>('server', 'create', '--flavor', 'm1.tiny', '--image', image, '--network', 'rb-net', '--wait', 'rb-vm');
        server = created.id;
        assert.equal(created.status, 'ACTIVE');
        assert.match(JSON.stringify(created.addresses), /rb-net.*10\.77\.0\.\d+/);
        await osc('server', 'add', 'volume', server, volume);
        assert.equal(await volumeStatus(volume, 'in-use'), 'in-use');
      });

      test('a restart of strata up keeps the data (server, port, volume, image); compute service list: nova-compute up', async () => {
        assert.equal(await strata?.stop(), 0, 'strata up stops cleanly on SIGTERM');
        strata = undefined;
        await start();
        const servers = await json<Array<{ ID: string; Name: string; Networks: unknown; Image: string }>>('server', 'list');
        assert.deepEqual(servers.map((s) => [s.ID, s.Name, s.Image]), [[server, 'rb-vm', 'rb-tiny']]);
        assert.match(JSON.stringify(servers[0]?.Networks), /rb-net.*10\.77\.0\.\d+/);
        assert.equal(await volumeStatus(volume, 'in-use'), 'in-use', 'the token issued before the restart still works');
        assert.deepEqual(readdirSync(dataDir).filter((f) => f.includes('.sqlite')), [], `no SQLite file: the data lives in ${label}`);
        const services = await json<Array<{ Binary: string; State: string; Status: string }>>('compute', 'service', 'list');
        const computes = services.filter((s) => s.Binary === 'nova-compute');
        assert.equal(computes.length, 1, 'the restarted compute reuses its service record');
        assert.equal(computes[0]?.State, 'up');
        assert.equal(computes[0]?.Status, 'enabled');
      });

      test('server delete --wait frees the volume; volume delete', async () => {
        await osc('server', 'delete', '--wait', server);
        assert.equal((await get('compute', `/v2.1/servers/${server}`)).status, 404);
        assert.equal(await volumeStatus(volume, 'available'), 'available');
        await osc('volume', 'delete', volume);
        assert.equal(await volumeStatus(volume), undefined, 'the volume is gone');
      });
    });
  }
});
