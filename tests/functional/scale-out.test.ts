/**
 * Scale-out: `strata up` as the controller and two `strata host` processes (fake driver) on one
 * RabbitMQ vhost of their own; the real `openstack` CLI sees the hosts, places servers on them,
 * and sees a stopped host go down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { addRabbitVhost, hasOpenstackCli, rabbitmqctlProblem, servicesRequired, skipUnlessReachable, startStrataProcess, type RabbitVhost, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);
const STRATA = resolve(new URL('../../apps/cli/bin/strata.js', import.meta.url).pathname);
/** Short heartbeats, so a stopped host is down within seconds. */
const DOWN_TIME_MS = 5000;
/** How much later than the down time a stopped host may still be shown up (its last heartbeat on its way, timestamps). */
const DOWN_SLACK_MS = 3000;
const TIMING = { OS_COMPUTE__REPORT_INTERVAL: '1s', OS_COMPUTE__SERVICE_DOWN_TIME: `${DOWN_TIME_MS}ms`, OS_NETWORK__AGENT_REPORT_INTERVAL: '1s', OS_NETWORK__AGENT_DOWN_TIME: '4s' };

const skip = !hasOpenstackCli()
  ? servicesRequired() ? undefined : 'the openstack CLI is not installed'
  : rabbitmqctlProblem() !== undefined
    ? servicesRequired() ? undefined : `${rabbitmqctlProblem()} (a vhost of its own is needed)`
    : await skipUnlessReachable('RabbitMQ', '127.0.0.1', 5672);

/** A running `strata host`. */
interface HostProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Start `strata host --name <name>` against the controller's data dir; resolves once it says it is up. */
async function startHost(name: string, dataDir: string, env: Record<string, string>): Promise<HostProcess> {
  const child = spawn(process.execPath, [STRATA, 'host', '--name', name, '--data-dir', dataDir, '--driver', 'fake'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes(`Host ${name} is up`)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`strata host ${name} did not start (exit ${child.exitCode}):\n${out}`);
    }
    await sleep(100);
  }
  return {
    name,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      return child.exitCode;
    },
  };
}

describe('scale-out: `strata host` processes beside `strata up` on RabbitMQ', { skip }, () => {
  let controller: StrataProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let controllerHost = '';
  let vhost: RabbitVhost | undefined;
  const hosts = new Map<string, HostProcess>();
  const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 120_000 })).stdout;
  const oscJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await osc(...args, '-f', 'json')) as T;
  type Service = { Binary: string; Host: string; State: string };
  type Agent = { Host: string; Alive: boolean; Binary: string };
  const computeServices = async (): Promise<Service[]> => (await oscJson<Service[]>('compute', 'service', 'list')).filter((s) => s.Binary === 'nova-compute');
  const createServer = async (name: string, ...extra: string[]): Promise<Record<string, unknown>> =>
    oscJson<Record<string, unknown>>('server', 'create', '--image', 'scale-img', '--flavor', 'm1.tiny', '--network', 'private', ...extra, '--wait', name);

  before(async () => {
    if (!hasOpenstackCli()) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    const problem = rabbitmqctlProblem();
    if (problem !== undefined) throw new Error(`STRATA_REQUIRE_SERVICES=1 but ${problem}`);
    vhost = await addRabbitVhost(`strata-scale-${process.pid}`);
    const shared = { OS_MESSAGING__TRANSPORT_URL: vhost.transportUrl, ...TIMING };
    controller = await startStrataProcess({ env: { ...shared, OS_DASHBOARD__ENABLED: 'false' } });
    env = controller.adminEnv;
    const dataDir = controller.dataDir;
    const file = join(dataDir, 'scale-tiny.img');
    writeFileSync(file, Buffer.alloc(1024 * 1024));
    const [started] = await Promise.all([
      Promise.allSettled(['host-a', 'host-b'].map((name) => startHost(name, dataDir, shared))),
      osc('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', 'scale-img'),
    ]);
    for (const r of started) if (r.status === 'fulfilled') hosts.set(r.value.name, r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
  });

  after(async () => {
    for (const h of hosts.values()) await h.stop();
    const code = await controller?.stop();
    await vhost?.remove().catch(() => undefined);
    if (controller !== undefined) assert.equal(code, 0, 'strata up stops cleanly');
  });

  test('compute service list and network agent list show both hosts up beside the controller', async () => {
    // Each host reported in before saying it is up; give a busy controller's own heartbeats a few seconds.
    const deadline = Date.now() + 20_000;
    let computes: Service[];
    let agents: Agent[];
    for (;;) {
      [computes, agents] = await Promise.all([computeServices(), oscJson<Agent[]>('network', 'agent', 'list')]);
      if ((computes.every((s) => s.State === 'up') && agents.every((a) => a.Alive)) || Date.now() > deadline) break;
      await sleep(1000);
    }
    for (const h of ['host-a', 'host-b']) assert.equal(computes.find((s) => s.Host === h)?.State, 'up', `nova-compute on ${h}: ${JSON.stringify(computes)}`);
    const own = computes.filter((s) => !hosts.has(s.Host));
    assert.equal(own.length, 1, `the controller's own nova-compute: ${JSON.stringify(computes)}`);
    controllerHost = own[0]?.Host ?? '';
    assert.equal(own[0]?.State, 'up');
    for (const h of ['host-a', 'host-b', controllerHost]) {
      const mine = agents.filter((a) => a.Host === h);
      assert.ok(mine.some((a) => a.Binary === 'neutron-noop-agent'), `the L2 agent of ${h}: ${JSON.stringify(agents)}`);
      assert.ok(mine.every((a) => a.Alive), `agents of ${h} alive: ${JSON.stringify(mine)}`);
    }
  });

  test('a server forced onto each host builds there; its port is bound to that host; the trace has all 51 steps', async () => {
    const [a, b] = await Promise.all([
      createServer('vm-a', '--availability-zone', 'nova:host-a', '--block-device', 'source_type=blank,destination_type=volume,volume_size=1,delete_on_termination=true'),
      createServer('vm-b', '--availability-zone', 'nova:host-b'),
    ]);
    assert.equal(a.status, 'ACTIVE');
    assert.equal(a['OS-EXT-SRV-ATTR:host'], 'host-a');
    assert.equal(b.status, 'ACTIVE');
    assert.equal(b['OS-EXT-SRV-ATTR:host'], 'host-b');

    const portOfA = async (): Promise<{ binding_host_id: string; status: string }> => {
      const ports = await oscJson<Array<{ ID: string }>>('port', 'list', '--server', 'vm-a');
      assert.equal(ports.length, 1);
      return oscJson<{ binding_host_id: string; status: string }>('port', 'show', ports[0]?.ID ?? '');
    };
    // nova-compute's and the agent's steps are recorded in host-a's process, the others in the controller's: all reach the create action.
    const [port, r] = await Promise.all([portOfA(), run(process.execPath, [STRATA, 'trace', 'vm-a'], { env, timeout: 120_000 })]);
    assert.equal(port.binding_host_id, 'host-a');
    assert.equal(port.status, 'ACTIVE');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines.at(-1) ?? '', /^51 of 51 steps recorded in /, r.stdout);
    assert.ok(!r.stdout.includes('(not recorded)'), r.stdout);
  });

  test('a stopped host goes down within the down time and new servers go elsewhere', async (t) => {
    const hostB = hosts.get('host-b');
    assert.ok(hostB !== undefined);
    const stoppedAt = Date.now();
    assert.equal(await hostB.stop(), 0, `strata host stops cleanly on SIGTERM:\n${hostB.output()}`);
    assert.match(hostB.output(), /Stopped\./);
    let state = 'up';
    let agents: Agent[] = [];
    // When (ms after the stop) the last poll that did not yet see host-b down began, and the one that did.
    let lastNotDown = 0;
    let seenDown: number | undefined;
    while (Date.now() - stoppedAt < DOWN_TIME_MS + 15_000) {
      const polledAt = Date.now() - stoppedAt;
      [state, agents] = await Promise.all([computeServices().then((l) => l.find((s) => s.Host === 'host-b')?.State ?? 'missing'), oscJson<Agent[]>('network', 'agent', 'list', '--host', 'host-b')]);
      if (state === 'down' && agents.every((x) => !x.Alive)) {
        seenDown = polledAt;
        break;
      }
      lastNotDown = polledAt;
      await sleep(500);
    }
    t.diagnostic(`host-b last seen not down by a poll begun ${lastNotDown} ms after the stop, seen down by one begun ${seenDown ?? 'never'} ms after it (down time ${DOWN_TIME_MS} ms)`);
    assert.equal(state, 'down', 'nova-compute on host-b is down');
    assert.ok(agents.length > 0 && agents.every((x) => !x.Alive), `host-b's agents are dead: ${JSON.stringify(agents)}`);
    // The last heartbeat came before the stop; the slack covers its way through the bus under load.
    assert.ok(lastNotDown <= DOWN_TIME_MS + DOWN_SLACK_MS, `host-b not yet down ${lastNotDown} ms after it stopped (down time ${DOWN_TIME_MS} ms + ${DOWN_SLACK_MS} ms slack)`);
    const [computes, c] = await Promise.all([computeServices(), createServer('vm-c')]);
    assert.equal(computes.find((s) => s.Host === 'host-a')?.State, 'up', 'host-a is still up');
    assert.equal(c.status, 'ACTIVE');
    assert.notEqual(c['OS-EXT-SRV-ATTR:host'], 'host-b');
    assert.ok(['host-a', controllerHost].includes(String(c['OS-EXT-SRV-ATTR:host'])), String(c['OS-EXT-SRV-ATTR:host']));
  });

  test('everything is deleted, the server of the stopped host too', async () => {
    await Promise.all([...['vm-a', 'vm-b', 'vm-c'].map((vm) => osc('server', 'delete', '--wait', vm)), osc('image', 'delete', 'scale-img')]);
    const [servers, volumes] = await Promise.all([oscJson<unknown[]>('server', 'list'), oscJson<unknown[]>('volume', 'list')]);
    assert.deepEqual(servers, []);
    assert.deepEqual(volumes, [], 'the blank volume went with its server');
  });
});
