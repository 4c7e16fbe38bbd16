/**
 * Real virtual machines: the `openstack` CLI against a `strata up` child with `[compute] driver =
 * qemu`, booting Strata's test image under QEMU (TCG where KVM does not work). One VM is reused
 * across the steps to keep the file short on two busy cores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addVethNamespace, hasOpenstackCli, onPath, pingsFrom, startStrataProcess, waitFor, type StrataProcess, type VethNamespace } from '@strata/testing';
import { hostProblem, LinuxBridgeNetworkBackend } from '@strata/net-linuxbridge';
import { BANNER_END } from '@strata/virt-qemu';
import { cachedTestImage } from '@strata/virt-qemu/testing';

const run = promisify(execFile);

/** Programs the driver and the image build need (Debian: qemu-system-x86 qemu-utils syslinux mtools dosfstools cpio xorriso). */
const NEEDED = ['qemu-system-x86_64', 'qemu-img', 'syslinux', 'mcopy', 'mkfs.fat', 'cpio', 'xorriso', 'apt-get', 'dpkg-deb', 'ssh', 'ssh-keygen'];
const missing = NEEDED.filter((p) => !onPath(p));
const skip = !hasOpenstackCli() ? 'the openstack CLI is not installed' : missing.length > 0 ? `real VMs need ${missing.join(', ')} (apt-get install qemu-system-x86 qemu-utils syslinux syslinux-common mtools dosfstools cpio xorriso)` : undefined;

/**
 * With root and the network tools (CI), the servers' ports are wired by the linuxbridge backend
 * (a tap on the network's bridge, DHCP from its namespace); otherwise the driver falls back to
 * QEMU user networking.
 */
const bridgeProblem = hostProblem() ?? (onPath('ping') ? undefined : 'ping is not installed');
const linuxbridge = bridgeProblem === undefined;


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pids of QEMU processes whose command line names `needle` (a guest's state directory). */
function qemuPids(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.startsWith('qemu-system') || cmd.includes('/qemu-system')) {
      if (cmd.includes(needle)) out.push(Number(name));
    }
  }
  return out;
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('real VMs: the openstack CLI against `strata up` with the QEMU driver', { skip, timeout: 480_000 }, () => {
  let dataDir: string;
  let strata: StrataProcess | undefined;
  let env: NodeJS.ProcessEnv | undefined;
  let vm1: string;
  let vmDir: string;
  let fixedIp = '';
  const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 120_000 })).stdout;
  const json = async <T = any>(...args: string[]): Promise<T> => JSON.parse(await osc(...args, '-f', 'json')) as T;
  const consoleLog = (server: string): Promise<string> => osc('console', 'log', 'show', server);
  /**
   * Wait (reading the serial log file: cheap on busy cores) until the guest wrote `needle`
   * `times` times, then check that `console log show` shows it too.
   */
  const awaitConsole = async (serverId: string, needle: string, timeoutMs: number, times = 1): Promise<string> => {
    const file = join(dataDir, 'vms', serverId, 'console.log');
    await waitFor(`"${needle}" on the console of ${serverId}`, async () => existsSync(file) && count(readFileSync(file, 'utf8'), needle) >= times, { timeoutMs, intervalMs: 250 });
    const text = await consoleLog(serverId);
    assert.ok(count(text, needle) >= times, `console log show has "${needle}"`);
    return text;
  };
  const status = async (server: string): Promise<string> => (await osc('server', 'show', server, '-f', 'value', '-c', 'status')).trim();
  // The "external" side for floating IPs (linuxbridge only): a namespace holding the public
  // subnet's gateway 172.24.4.1, wired by a veth whose host end is the flat `public` physnet.
  const px = `qv${(process.pid % 46656).toString(36).padStart(3, '0')}`;
  const extNs = `${px}-ext`;
  const extHost = `${px}x0`;
  const extPeer = `${px}x1`;
  let ext: VethNamespace | undefined;
  const start = async (): Promise<void> => {
    // NOTE: a restart keeps keystone's port: the openrc written on first start points at it.
    const identityPort = env?.OS_AUTH_URL !== undefined ? new URL(env.OS_AUTH_URL).port : undefined;
    const network: Record<string, string> = linuxbridge ? { OS_NETWORK__BACKEND: 'linuxbridge', OS_NETWORK__PHYSICAL_INTERFACE_MAPPINGS: `public:${extHost}` } : {};
    strata = await startStrataProcess({ dataDir, env: { OS_COMPUTE__DRIVER: 'qemu', ...network, ...(identityPort !== undefined ? { OS_IDENTITY__PORT: identityPort } : {}) }, timeoutMs: 120_000 });
    env = strata.adminEnv;
  };

  before(async () => {
    // The test image is built once per version of its sources and copied into the test's data dir.
    const image = await cachedTestImage();
    if (linuxbridge) {
      ext = await addVethNamespace({ ns: extNs, hostEnd: extHost, peerEnd: extPeer, address: '172.24.4.1/24' });
    }
    dataDir = mkdtempSync(join(tmpdir(), 'strata-qemu-'));
    mkdirSync(join(dataDir, 'images'), { recursive: true });
    copyFileSync(image, join(dataDir, 'images', 'strata-test.qcow2'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'qemu-cli', '-f', join(dataDir, 'id_ed25519')]);
    await start();
  });

  after(async () => {
    const code = await strata?.stop();
    // Whatever a failed step left: no guest of this test outlives it.
    for (const pid of qemuPids(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Whatever a failed run left on the host network, the backend removes from its own records.
    if (existsSync(join(dataDir, 'linuxbridge', 'owned.json'))) {
      const b = await LinuxBridgeNetworkBackend.create({ stateDir: join(dataDir, 'linuxbridge'), interfaceMappings: { public: '' } });
      await b.teardown();
      await b.close();
    }
    await ext?.remove();
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, 'strata up stops cleanly on SIGTERM');
  });

  test('strata up registers the test image as a public image with cloud image properties', async () => {
    const image = await json<{ visibility: string; status: string; min_disk: number; min_ram: number; disk_format: string; properties: Record<string, unknown> }>('image', 'show', 'strata-test');
    assert.equal(image.status, 'active');
    assert.equal(image.visibility, 'public');
    assert.equal(image.disk_format, 'qcow2');
    assert.ok(image.min_disk >= 1 && image.min_ram >= 64);
    assert.equal(image.properties.hw_disk_bus, 'virtio');
    assert.equal(image.properties.os_distro, 'strata-test');
  });

  test('server create --wait → ACTIVE, and the console shows the banner with its hostname within 60 s', async () => {
    await osc('keypair', 'create', '--public-key', join(dataDir, 'id_ed25519.pub'), 'qemu-key');
    const server = await json<{ id: string; status: string }>('server', 'create', '--image', 'strata-test', '--flavor', 'm1.tiny', '--network', 'private', '--key-name', 'qemu-key', '--wait', 'vm1');
    assert.equal(server.status, 'ACTIVE');
    vm1 = server.id;
    vmDir = join(dataDir, 'vms', vm1);
    assert.equal(qemuPids(vmDir).length, 1, 'one QEMU process runs the server');
    const log = await awaitConsole(vm1, BANNER_END, 60_000);
    assert.match(log, /hostname: vm1\b/);
    assert.match(log, new RegExp(`instance-id: ${vm1}`));
    assert.match(log, /public keys: qemu-key\b/);
    assert.match(log, /ssh: port 22/);
    const addresses = (await json<{ addresses: Record<string, string[]> }>('server', 'show', 'vm1')).addresses;
    fixedIp = addresses.private?.[0] ?? '';
    if (linuxbridge) assert.match(log, new RegExp(`eth0 ${fixedIp.replace(/\./g, '\\.')}/`), `the guest has its port's fixed IP ${fixedIp} by DHCP`);
    else assert.match(log, /eth0 10\.0\.2\.15\//, 'QEMU user networking (noop network backend)');
    const vnc = await json<{ type: string; url: string }>('console', 'url', 'show', '--novnc', 'vm1');
    assert.match(decodeURIComponent(vnc.url), /^http:\/\/.+token=[\w-]+/, `a noVNC URL for the VM's VNC server: ${vnc.url}`);
    const tail = await osc('console', 'log', 'show', '--lines', '3', 'vm1');
    assert.ok(tail.trim().split('\n').length <= 3, 'console log show --lines returns the tail');
  });

  test('linuxbridge backend: the VM answers ping from the DHCP namespace', { skip: linuxbridge ? undefined : `no linuxbridge backend here: ${bridgeProblem ?? ''}` }, async () => {
    const project = (await osc('server', 'show', 'vm1', '-f', 'value', '-c', 'project_id')).trim();
    const groups = await json<Array<{ ID: string; Name: string }>>('security', 'group', 'list', '--project', project);
    const sg = groups.find((g) => g.Name === 'default');
    assert.ok(sg !== undefined);
    await osc('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'icmp', sg.ID);
    const net = (await osc('network', 'show', 'private', '-f', 'value', '-c', 'id')).trim();
    await waitFor(`ping ${fixedIp} from qdhcp-${net}`, () => pingsFrom(`qdhcp-${net}`, fixedIp), { timeoutMs: 30_000, intervalMs: 2000 });
  });

  test('linuxbridge backend: a floating IP answers ping and SSH (with the key pair) from the external side', { skip: linuxbridge ? undefined : `no linuxbridge backend here: ${bridgeProblem ?? ''}` }, async () => {
    const fip = await json<{ id: string; floating_ip_address: string }>('floating', 'ip', 'create', 'public');
    await osc('server', 'add', 'floating', 'ip', 'vm1', fip.floating_ip_address);
    // The external namespace has no route to the private subnet: only the router's DNAT answers.
    await waitFor(`ping ${fip.floating_ip_address} from ${extNs}`, () => pingsFrom(extNs, fip.floating_ip_address), { timeoutMs: 30_000, intervalMs: 500 });
    assert.equal(await pingsFrom(extNs, fixedIp), false, 'the fixed IP is not reachable from outside');
    // SSH to the floating IP with the server's key pair, once the default group lets port 22 in.
    const project = (await osc('server', 'show', 'vm1', '-f', 'value', '-c', 'project_id')).trim();
    const sg = (await json<Array<{ ID: string; Name: string }>>('security', 'group', 'list', '--project', project)).find((g) => g.Name === 'default');
    assert.ok(sg !== undefined);
    await osc('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'tcp', '--dst-port', '22', sg.ID);
    const ssh = ['netns', 'exec', extNs, 'ssh', '-i', join(dataDir, 'id_ed25519'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `root@${fip.floating_ip_address}`, 'hostname'];
    let hostname = '';
    await waitFor(`ssh root@${fip.floating_ip_address} from ${extNs}`, async () => {
      hostname = (await run('ip', ssh, { timeout: 60_000 }).catch(() => ({ stdout: '' }))).stdout.trim();
      return hostname !== '';
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    assert.equal(hostname, 'vm1', 'logged in over SSH with the key pair, through the floating IP');
    // From inside the guest, the metadata service: namespace proxy, relay, neutron-server lookup, signed request to nova.
    // (as the image's boot script does: busybox's nc hangs up when its input ends, so the input stays open a second)
    const fetchMetadata = "{ printf 'GET /openstack/latest/meta_data.json HTTP/1.0\\r\\nConnection: close\\r\\n\\r\\n'; sleep 1; } | nc -w 5 169.254.169.254 80";
    const md = (await run('ip', [...ssh.slice(0, -1), fetchMetadata], { timeout: 60_000 })).stdout;
    assert.match(md, /^HTTP\/1\.[01] 200/, `the guest reads its metadata from 169.254.169.254:\n${md.slice(0, 400)}`);
    assert.match(md, new RegExp(`"uuid": ?"${vm1}"`));
    assert.match(md, /"qemu-key"/, 'with its public key');
    await osc('server', 'remove', 'floating', 'ip', 'vm1', fip.floating_ip_address);
    await osc('floating', 'ip', 'delete', fip.id);
    await waitFor(`${fip.floating_ip_address} stops answering`, async () => !(await pingsFrom(extNs, fip.floating_ip_address)), { timeoutMs: 30_000, intervalMs: 500 });
  });

  test('server add volume → the guest sees vdb; server remove volume → it is gone', async () => {
    await osc('volume', 'create', '--size', '1', 'v1');
    await waitFor('v1 available', async () => (await osc('volume', 'show', 'v1', '-f', 'value', '-c', 'status')).trim() === 'available', { timeoutMs: 60_000, intervalMs: 2000 });
    await osc('server', 'add', 'volume', 'vm1', 'v1');
    await awaitConsole(vm1, 'block device added: vdb', 60_000);
    await osc('server', 'remove', 'volume', 'vm1', 'v1');
    await awaitConsole(vm1, 'block device removed: vdb', 60_000);
    await waitFor('v1 available again', async () => (await osc('volume', 'show', 'v1', '-f', 'value', '-c', 'status')).trim() === 'available', { timeoutMs: 60_000, intervalMs: 2000 });
    await osc('volume', 'delete', 'v1');
  });

  test('server stop → SHUTOFF and no QEMU process; server start → ACTIVE and the banner again', async () => {
    const banners = count(await consoleLog('vm1'), BANNER_END);
    await osc('server', 'stop', 'vm1');
    await waitFor('SHUTOFF', async () => (await status('vm1')) === 'SHUTOFF', { timeoutMs: 90_000, intervalMs: 2000 });
    assert.deepEqual(qemuPids(vmDir), [], 'no QEMU process after stop');
    await osc('server', 'start', 'vm1');
    await waitFor('ACTIVE', async () => (await status('vm1')) === 'ACTIVE', { timeoutMs: 60_000, intervalMs: 2000 });
    await awaitConsole(vm1, BANNER_END, 60_000, banners + 1);
  });

  test('server reboot --hard → ACTIVE with a new QEMU process and the banner again', async () => {
    const before = qemuPids(vmDir);
    const banners = count(await consoleLog('vm1'), BANNER_END);
    await osc('server', 'reboot', '--hard', '--wait', 'vm1');
    assert.equal(await status('vm1'), 'ACTIVE');
    const after = qemuPids(vmDir);
    assert.equal(after.length, 1);
    assert.notDeepEqual(after, before);
    await awaitConsole(vm1, BANNER_END, 60_000, banners + 1);
  });

  test('server image create makes a bootable image', async () => {
    await osc('server', 'image', 'create', '--name', 'snap1', '--wait', 'vm1');
    const snap = await json<{ status: string; disk_format: string; size: number }>('image', 'show', 'snap1');
    assert.equal(snap.status, 'active');
    assert.equal(snap.disk_format, 'qcow2');
    assert.ok(snap.size > 1024 * 1024, `a real disk, not a placeholder (${snap.size} bytes)`);
    assert.equal(await status('vm1'), 'ACTIVE', 'the server keeps running');
    const vm2 = await json<{ id: string; status: string }>('server', 'create', '--image', 'snap1', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'vm2');
    assert.equal(vm2.status, 'ACTIVE');
    const log = await awaitConsole(vm2.id, BANNER_END, 90_000);
    assert.match(log, /hostname: vm2\b/);
    await osc('server', 'delete', '--wait', 'vm2');
    assert.deepEqual(qemuPids(join(dataDir, 'vms', vm2.id)), []);
  });

  test('restarting Strata leaves vm1 running and ACTIVE with the same QEMU pid', async () => {
    const [pid] = qemuPids(vmDir);
    assert.ok(pid !== undefined);
    assert.equal(await strata?.stop(), 0);
    strata = undefined;
    assert.deepEqual(qemuPids(vmDir), [pid], 'the guest outlives nova-compute');
    await start();
    assert.equal(await status('vm1'), 'ACTIVE');
    await sleep(3000); // past the first power sync
    assert.equal(await status('vm1'), 'ACTIVE');
    assert.deepEqual(qemuPids(vmDir), [pid], 'adopted, not restarted or duplicated');
    assert.match(await consoleLog('vm1'), /hostname: vm1/);
  });

  test('server rebuild after the restart keeps the guest on its network (port bindings read back from neutron)', async () => {
    const before = qemuPids(vmDir);
    await osc('server', 'rebuild', '--image', 'strata-test', '--wait', 'vm1');
    assert.equal(await status('vm1'), 'ACTIVE');
    const after = qemuPids(vmDir);
    assert.equal(after.length, 1, 'one QEMU process after the rebuild');
    assert.notDeepEqual(after, before, 'a new guest on the new root disk');
    // The rebuild starts from a new disk and a new console log.
    const log = await awaitConsole(vm1, BANNER_END, 90_000);
    const lastBanner = log.slice(log.lastIndexOf('hostname: vm1'));
    if (linuxbridge) assert.match(lastBanner, new RegExp(`eth0 ${fixedIp.replace(/\./g, '\\.')}/`), `the rebuilt guest has its port's fixed IP ${fixedIp}, not user networking`);
    else assert.match(lastBanner, /eth0 10\.0\.2\.15\//);
  });

  test('a guest whose QEMU process ends on its own shows SHUTOFF (power state sync)', async () => {
    const [pid] = qemuPids(vmDir);
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGTERM');
    await waitFor('SHUTOFF after the process ended', async () => (await status('vm1')) === 'SHUTOFF', { timeoutMs: 30_000, intervalMs: 2000 });
    assert.equal((await osc('server', 'show', 'vm1', '-f', 'value', '-c', 'OS-EXT-STS:power_state')).trim(), '4', 'power state SHUTDOWN');
  });

  test('server delete leaves no process, file, socket or tap behind', async () => {
    const ports = await json<Array<{ ID: string }>>('port', 'list', '--server', 'vm1');
    await osc('server', 'delete', '--wait', 'vm1');
    assert.deepEqual(qemuPids(vmDir), []);
    assert.equal(existsSync(vmDir), false, 'the state directory (disks, QMP socket, pid file, console log) is gone');
    const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
    for (const p of ports) assert.doesNotMatch(links, new RegExp(`tap${p.ID.slice(0, 11)}`), 'no tap of its ports');
  });
});
