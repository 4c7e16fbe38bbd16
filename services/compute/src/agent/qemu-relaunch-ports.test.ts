// The QEMU driver restarts a guest (power on, hard reboot, resize, revert) from the definition it
// keeps in the guest's instance.json, so the guest's taps go back on their bridges even when
// nova-compute restarted and no longer knows the bindings. The real QemuDriver through the
// DriverHypervisor, with a fake host: `ip` and `qemu-img` calls are recorded, and "QEMU" is an
// idle node process (`-uuid` on its command line) plus a QMP socket served by this test.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { QemuDriver, type CommandResult, type CommandRunner } from '@strata/virt-qemu';
import { DriverHypervisor } from './driver-hypervisor.js';
import type { GuestSpec } from './hypervisor.js';

const ok: CommandResult = { stdout: '', stderr: '' };

/** Records every host program the driver runs; launches fake QEMUs. */
class FakeHost implements CommandRunner {
  readonly commands: string[][] = [];
  readonly #children = new Set<ChildProcess>();
  readonly #servers = new Set<Server>();

  async run(command: string, args: readonly string[]): Promise<CommandResult> {
    this.commands.push([command, ...args]);
    if (command === 'fake-ip') return ok;
    if (command === 'fake-qemu-img') {
      if (args[0] !== 'info') return ok;
      const f = args.indexOf('-f');
      return { stdout: JSON.stringify({ format: f >= 0 ? args[f + 1] : 'raw', 'virtual-size': 1 << 20, 'actual-size': 1 << 20 }), stderr: '' };
    }
    if (command === 'fake-qemu') return args[0] === '--version' ? { stdout: 'QEMU emulator version 8.2.2\n', stderr: '' } : this.#launch(args);
    throw new Error(`unexpected program ${command}`);
  }

  /** What `-daemonize` leaves behind: a process with the guest's `-uuid`, its pid file and its QMP socket. */
  async #launch(args: readonly string[]): Promise<CommandResult> {
    const uuid = args[args.indexOf('-uuid') + 1] as string;
    const pidFile = args[args.indexOf('-pidfile') + 1] as string;
    const qmp = /^socket,id=qmp,path=(.*),server=on,wait=off$/.exec(args.find((a) => a.startsWith('socket,id=qmp,')) ?? '')?.[1];
    assert.ok(qmp !== undefined, 'QEMU is given a QMP socket');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', '--', '-uuid', uuid], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    const server = createServer((sock) => {
      sock.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 8, minor: 2, micro: 2 }, package: '' }, capabilities: [] } })}\n`);
      let buf = '';
      sock.on('data', (chunk) => {
        buf += chunk.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const msg = JSON.parse(buf.slice(0, nl)) as { execute: string; id: string };
          buf = buf.slice(nl + 1);
          const ret = msg.execute === 'query-status' ? { status: 'running', running: true } : {};
          sock.write(`${JSON.stringify({ return: ret, id: msg.id })}\n`);
          if (msg.execute === 'quit') {
            child.kill('SIGKILL');
            sock.end();
            server.close();
          }
        }
      });
      sock.on('error', () => undefined);
    });
    this.#servers.add(server);
    server.once('close', () => this.#servers.delete(server));
    await new Promise<void>((resolve) => server.listen(qmp, resolve));
    await writeFile(pidFile, `${child.pid}\n`);
    return ok;
  }

  /** Programs run since the last call, and forget them. */
  take(): string[][] {
    return this.commands.splice(0);
  }

  close(): void {
    for (const c of this.#children) c.kill('SIGKILL');
    for (const s of this.#servers) s.close();
  }
}

const UUID = '55555555-5555-4555-8555-555555555555';
const bridged = { portId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', macAddress: 'fa:16:3e:00:00:21', networkId: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', ips: ['10.0.0.21'], binding: { vifType: 'bridge', vifDetails: { port_filter: true }, mtu: 1450 } };
const custom = { portId: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f', macAddress: 'fa:16:3e:00:00:22', networkId: 'd4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70', ips: ['10.1.0.22'], binding: { vifType: 'bridge', vifDetails: { bridge_name: 'br-jumbo' }, mtu: 9000 } };
const TAP_A = 'tapa1b2c3d4-e5';
const TAP_B = 'tapc3d4e5f6-a7';

/** The taps QEMU is told to use (`-netdev` type tap), and the `ip` calls that put them on bridges. */
function wiring(commands: string[][]): { netdevs: string[]; ip: string[] } {
  const launch = commands.filter((c) => c[0] === 'fake-qemu' && c[1] !== '--version');
  assert.equal(launch.length, 1, 'QEMU launched once');
  const args = launch[0] as string[];
  const netdevs = args.flatMap((a, i) => (args[i - 1] === '-netdev' ? [a] : [])).map((a) => {
    const n = JSON.parse(a) as { type: string; ifname?: string };
    return `${n.type}${n.ifname !== undefined ? ` ${n.ifname}` : ''}`;
  });
  // NOTE: spawn wires each tap twice (when it plans the guest, and when it starts QEMU): the distinct calls count.
  const ip = [...new Set(commands.filter((c) => c[0] === 'fake-ip' && c[1] === 'link' && c[2] === 'set').map((c) => c.slice(3).join(' ')))];
  return { netdevs, ip };
}

const expectedIp = [`dev ${TAP_A} mtu 1450`, `dev ${TAP_A} master brqb2c3d4e5-f6`, `dev ${TAP_A} up`, `dev ${TAP_B} mtu 9000`, `dev ${TAP_B} master br-jumbo`, `dev ${TAP_B} up`];

const host = new FakeHost();
let dir: string | undefined;
after(async () => {
  host.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('after a restart, the QEMU driver starts a guest again on its taps and bridges from instance.json', async () => {
  dir = await mkdtemp('/tmp/sgp-');
  const instancesPath = join(dir, 'i');
  const image = join(dir, 'base.raw');
  await writeFile(image, Buffer.alloc(4096));
  const config = { instancesPath, qemuBinary: 'fake-qemu', qemuImgBinary: 'fake-qemu-img', ipBinary: 'fake-ip', accel: 'tcg' as const, shutdownTimeoutMs: 0, runner: host };

  const first = await QemuDriver.create(config);
  const hv1 = new DriverHypervisor(first);
  await first.init('host-a', { virtHost: hv1.virtHost });
  const spec: GuestSpec = { instanceId: UUID, name: 'vm1', vcpus: 1, memoryMb: 256, rootGb: 1, imagePath: image, imageId: 'img', imageFormat: 'raw', ephemeralGb: 0, swapMb: 0, extraSpecs: {}, ports: [bridged, custom], volumes: [], userData: null, metadata: {}, keyData: null };
  host.take();
  await hv1.spawn(spec);
  const built = wiring(host.take());
  assert.deepEqual(built.netdevs, [`tap ${TAP_A}`, `tap ${TAP_B}`], 'spawn: both ports on taps');
  assert.deepEqual(built.ip, expectedIp);
  await hv1.powerOff(UUID);
  await hv1.close();

  // nova-compute restarts: a new driver on the same state directory; nothing is handed ports again.
  const second = await QemuDriver.create(config);
  const hv2 = new DriverHypervisor(second);
  await second.init('host-a', { virtHost: hv2.virtHost });
  try {
    const steps: Array<[string, () => Promise<void>]> = [
      ['power on', () => hv2.powerOn(UUID)],
      ['hard reboot', () => hv2.reboot(UUID, 'HARD')],
      ['resize', () => (hv2.resize as NonNullable<typeof hv2.resize>)(UUID, { vcpus: 2, memoryMb: 512, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} }, true)],
      ['revert resize', () => (hv2.revertResize as NonNullable<typeof hv2.revertResize>)(UUID)],
    ];
    for (const [name, step] of steps) {
      host.take();
      await step();
      const w = wiring(host.take());
      assert.deepEqual(w.netdevs, [`tap ${TAP_A}`, `tap ${TAP_B}`], `${name}: both ports on their taps, not user-mode networking`);
      assert.deepEqual(w.ip, expectedIp, `${name}: each tap on its bridge with its MTU`);
      assert.equal(await hv2.powerState(UUID), 1, `${name}: running`);
    }
  } finally {
    await hv2.destroy(UUID);
    await hv2.close();
  }
});
