import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hasOpenstackCli, servicesRequired, startStrataProcess, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);
const skip = hasOpenstackCli() ? undefined : servicesRequired() ? undefined : 'the openstack CLI is not installed';

describe('the real openstack CLI against nova in `strata up`', { skip }, () => {
  let strata: StrataProcess;
  let env: NodeJS.ProcessEnv;
  const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 90_000 })).stdout;
  const json = async <T = any>(...args: string[]): Promise<T> => JSON.parse(await osc(...args, '-f', 'json')) as T;
  let image: string;
  let nic: string[];
  let hasVolumes = false;

  before(async () => {
    if (!hasOpenstackCli()) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    strata = await startStrataProcess();
    env = strata.adminEnv;
    const catalog = await osc('catalog', 'list', '-f', 'value', '-c', 'Type');
    if (/\bimage\b/.test(catalog)) {
      const images = await json<Array<{ ID: string; Status: string }>>('image', 'list');
      let active = images.find((i) => i.Status === 'active')?.ID;
      if (active === undefined) {
        const { writeFileSync } = await import('node:fs');
        const file = `${strata.dataDir}/tiny.img`;
        writeFileSync(file, Buffer.alloc(65536, 1));
        active = (await json<{ id: string }>('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', '--public', 'cli-tiny')).id;
      }
      image = active;
    } else {
      image = '00000000-0000-4000-8000-000000000000';
    }
    const net = /\bnetwork\b/.test(catalog) ? (await json<Array<{ ID: string; Name: string }>>('network', 'list', '--internal')).find((n) => n.Name === 'private') : undefined;
    hasVolumes = /\bblock-storage\b|\bvolumev3\b/.test(catalog);
    nic = net === undefined ? ['--nic', 'none', '--os-compute-api-version', '2.37'] : ['--network', net.ID];
  });
  after(async () => {
    const code = await strata?.stop();
    assert.equal(code, 0, 'strata up stops cleanly on SIGTERM');
  });

  test('flavor list, compute service list, hypervisor list, keypair create/delete', async () => {
    const flavors = await json<Array<{ Name: string; RAM: number }>>('flavor', 'list');
    assert.deepEqual(flavors.map((f) => f.Name).sort(), ['m1.large', 'm1.medium', 'm1.small', 'm1.tiny', 'm1.xlarge']);
    assert.equal(flavors.find((f) => f.Name === 'm1.tiny')?.RAM, 512);
    const services = await json<Array<{ Binary: string; State: string; Status: string }>>('compute', 'service', 'list');
    assert.deepEqual(services.map((s) => s.Binary).sort(), ['nova-compute', 'nova-conductor', 'nova-scheduler']);
    assert.ok(services.every((s) => s.State === 'up' && s.Status === 'enabled'));
    const hyps = await json<Array<{ 'Hypervisor Type': string; State: string }>>('hypervisor', 'list');
    assert.equal(hyps[0]?.['Hypervisor Type'], 'fake');
    assert.equal(hyps[0]?.State, 'up');
    const key = await osc('keypair', 'create', 'cli-key');
    assert.match(key, /BEGIN RSA PRIVATE KEY/);
    assert.match(await osc('keypair', 'list', '-f', 'value', '-c', 'Name'), /cli-key/);
    await osc('keypair', 'delete', 'cli-key');
    assert.doesNotMatch(await osc('keypair', 'list', '-f', 'value', '-c', 'Name'), /cli-key/);
  });

  test('server create --wait, show, list, stop, start, reboot, console log, event list, delete --wait', async () => {
    const created = await json<{ id: string; status: string; name: string }>('server', 'create', '--flavor', 'm1.tiny', '--image', image, ...nic, '--wait', 'cli-vm1');
    assert.equal(created.status, 'ACTIVE');
    const shown = await json<{ status: string; flavor: unknown; 'OS-EXT-STS:vm_state': string }>('server', 'show', 'cli-vm1');
    assert.equal(shown.status, 'ACTIVE');
    assert.equal(shown['OS-EXT-STS:vm_state'], 'active');
    const list = await json<Array<{ Name: string; Status: string }>>('server', 'list');
    assert.deepEqual(list.map((s) => [s.Name, s.Status]), [['cli-vm1', 'ACTIVE']]);
    await osc('server', 'stop', 'cli-vm1');
    for (let n = 0; n < 100 && (await json<{ status: string }>('server', 'show', 'cli-vm1')).status !== 'SHUTOFF'; n++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await json<{ status: string }>('server', 'show', 'cli-vm1')).status, 'SHUTOFF');
    await osc('server', 'start', 'cli-vm1');
    await osc('server', 'reboot', '--hard', '--wait', 'cli-vm1');
    assert.equal((await json<{ status: string }>('server', 'show', 'cli-vm1')).status, 'ACTIVE');
    assert.match(await osc('console', 'log', 'show', 'cli-vm1'), /cli-vm1/);
    const events = await json<Array<{ Action: string }>>('server', 'event', 'list', 'cli-vm1');
    assert.deepEqual(new Set(events.map((e) => e.Action)), new Set(['create', 'stop', 'start', 'reboot']));
    await osc('server', 'delete', '--wait', 'cli-vm1');
    assert.deepEqual(await json('server', 'list'), []);
  });

  test('microversion 2.90: --hostname, lock --reason, server list --locked, new fields in show', async () => {
    const mv = ['--os-compute-api-version', '2.90'];
    const nic290 = nic[0] === '--nic' ? ['--nic', 'none'] : nic;
    const created = await json<{ id: string; status: string }>(...mv, 'server', 'create', '--flavor', 'm1.tiny', '--image', image, ...nic290, '--hostname', 'cli-host-1', '--wait', 'cli-mv');
    assert.equal(created.status, 'ACTIVE');
    const shown = await json<Record<string, unknown>>(...mv, 'server', 'show', 'cli-mv');
    assert.equal(shown['OS-EXT-SRV-ATTR:hostname'], 'cli-host-1');
    assert.equal(shown.locked_reason, null);
    assert.deepEqual(shown.server_groups, []);
    await osc(...mv, 'server', 'lock', '--reason', 'cli maintenance', 'cli-mv');
    assert.equal((await json<Record<string, unknown>>(...mv, 'server', 'show', 'cli-mv')).locked_reason, 'cli maintenance');
    assert.deepEqual((await json<Array<{ Name: string }>>(...mv, 'server', 'list', '--locked')).map((x) => x.Name), ['cli-mv']);
    await osc(...mv, 'server', 'set', '--hostname', 'cli-host-2', 'cli-mv');
    // "2.latest" is the CLI's newest (novaclient 2.92), below Strata's maximum.
    const latest = await json<Record<string, unknown>>('--os-compute-api-version', '2.latest', 'server', 'show', 'cli-mv');
    assert.equal(latest['OS-EXT-SRV-ATTR:hostname'], 'cli-host-2');
    assert.equal(latest.locked_reason, 'cli maintenance');
    await osc('server', 'delete', '--wait', 'cli-mv');
  });

  test("bad input through the CLI: flavor too small (400), over quota (403), another project's server (not found)", async () => {
    const mv = ['--os-compute-api-version', '2.90'];
    const nic290 = nic[0] === '--nic' ? ['--nic', 'none'] : nic;
    const fail = async (...args: string[]): Promise<string> => {
      try {
        await osc(...args);
      } catch (err) {
        return String((err as { stderr?: string }).stderr ?? err);
      }
      throw new Error(`openstack ${args.join(' ')} succeeded`);
    };
    if (image !== '00000000-0000-4000-8000-000000000000') {
      const { writeFileSync } = await import('node:fs');
      const file = `${strata.dataDir}/big-min-disk.img`;
      writeFileSync(file, Buffer.alloc(4096, 2));
      const big = (await json<{ id: string }>('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', '--min-disk', '200', 'cli-min-disk')).id;
      assert.match(await fail(...mv, 'server', 'create', '--flavor', 'm1.tiny', '--image', big, ...nic290, 'cli-small'), /Flavor's disk is too small for requested image.*HTTP 400/s);
    }
    const project = env.OS_PROJECT_NAME ?? 'admin';
    await osc('quota', 'set', '--instances', '0', project);
    try {
      assert.match(await fail(...mv, 'server', 'create', '--flavor', 'm1.tiny', '--image', image, ...nic290, 'cli-over'), /Quota exceeded for instances.*HTTP 403/s);
    } finally {
      await osc('quota', 'set', '--instances', '10', project);
    }
    // A server of another project: its owner sees it, a member of another project does not.
    const vm = await json<{ id: string }>(...mv, 'server', 'create', '--flavor', 'm1.tiny', '--image', image, ...nic290, 'cli-private');
    await osc('project', 'create', 'cli-other');
    await osc('user', 'create', '--password', 'cli-other-pw', '--project', 'cli-other', 'cli-other');
    await osc('role', 'add', '--user', 'cli-other', '--project', 'cli-other', 'member');
    const otherEnv = { ...env, OS_USERNAME: 'cli-other', OS_PASSWORD: 'cli-other-pw', OS_PROJECT_NAME: 'cli-other' };
    const other = await run('openstack', [...mv, 'server', 'show', vm.id], { env: otherEnv, timeout: 90_000 }).then(
      () => '',
      (err: { stderr?: string }) => String(err.stderr),
    );
    assert.match(other, /No server with a name or ID of/);
    await osc('server', 'delete', vm.id);
  });

  test('with cinder: boot with a blank volume (in-use), server add volume, delete frees them', async (t) => {
    if (!hasVolumes) return t.skip('no block-storage service in the catalog');
    const created = await json<{ id: string; status: string }>('server', 'create', '--flavor', 'm1.tiny', '--image', image, ...nic, '--block-device', 'source_type=blank,destination_type=volume,volume_size=1,delete_on_termination=true', '--wait', 'cli-vm2');
    assert.equal(created.status, 'ACTIVE');
    const volumes = await json<Array<{ ID: string; Status: string; 'Attached to': unknown }>>('volume', 'list');
    assert.equal(volumes.length, 1);
    assert.equal(volumes[0]?.Status, 'in-use');
    await osc('volume', 'create', '--size', '1', 'cli-data');
    for (let n = 0; n < 100 && (await json<{ status: string }>('volume', 'show', 'cli-data')).status !== 'available'; n++) await new Promise((r) => setTimeout(r, 100));
    await osc('server', 'add', 'volume', 'cli-vm2', 'cli-data');
    assert.equal((await json<{ status: string }>('volume', 'show', 'cli-data')).status, 'in-use');
    const attached = await json<Array<{ 'Volume ID': string }>>('server', 'volume', 'list', 'cli-vm2');
    assert.equal(attached.length, 2);
    await osc('server', 'remove', 'volume', 'cli-vm2', 'cli-data');
    for (let n = 0; n < 100 && (await json<{ status: string }>('volume', 'show', 'cli-data')).status !== 'available'; n++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await json<{ status: string }>('volume', 'show', 'cli-data')).status, 'available');
    await osc('server', 'delete', '--wait', 'cli-vm2');
    await osc('volume', 'delete', 'cli-data');
  });
});
