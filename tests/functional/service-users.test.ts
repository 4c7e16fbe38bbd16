// The service users of `strata up` (a child process on free ports), seen through the real `openstack` CLI:
// nova, neutron, glance and cinder in project `service`, and nova's and neutron's calls to each other made as them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasOpenstackCli, servicesRequired, startStrataProcess, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);
const skip = hasOpenstackCli() ? undefined : servicesRequired() ? undefined : 'the openstack CLI is not installed';

describe('service users of `strata up`', { skip }, () => {
  let strata: StrataProcess;
  let env: NodeJS.ProcessEnv;
  let image: string;
  const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 90_000 })).stdout;
  const json = async <T = any>(...args: string[]): Promise<T> => JSON.parse(await osc(...args, '-f', 'json')) as T;

  /** Create a server on `private` and wait until it is ACTIVE or ERROR; resolves to what `server show` says then. */
  const build = async (name: string): Promise<{ id: string; status: string; fault?: { message?: string } }> => {
    const { id } = await json<{ id: string }>('server', 'create', '--flavor', 'm1.tiny', '--image', image, '--network', 'private', name);
    for (let n = 0; n < 300; n++) {
      const s = await json<{ id: string; status: string; fault?: { message?: string } }>('server', 'show', id);
      if (s.status === 'ACTIVE' || s.status === 'ERROR') return s;
      await sleep(200);
    }
    throw new Error(`server ${name} neither ACTIVE nor ERROR after a minute`);
  };

  before(async () => {
    if (!hasOpenstackCli()) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    // A short vif plugging timeout: a build whose network-vif-plugged event never comes fails fast.
    // No token cache: a service user's token stops working as soon as the user is disabled.
    strata = await startStrataProcess({ env: { OS_COMPUTE__DRIVER: 'fake', OS_COMPUTE__VIF_PLUGGING_TIMEOUT: '3s', OS_KEYSTONE_AUTHTOKEN__CACHE_TTL: '0' } });
    env = strata.adminEnv;
    const file = `${strata.dataDir}/tiny.img`;
    writeFileSync(file, Buffer.alloc(65536, 1));
    image = (await json<{ id: string }>('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', 'svc-tiny')).id;
  });
  after(async () => {
    const code = await strata?.stop();
    assert.equal(code, 0, 'strata up stops cleanly on SIGTERM');
  });

  test('user list shows nova, neutron, glance and cinder; each has admin and service on project service', async () => {
    const users = await json<Array<{ Name: string }>>('user', 'list');
    assert.deepEqual(users.map((u) => u.Name).sort(), ['admin', 'cinder', 'glance', 'neutron', 'nova']);
    const assignments = await json<Array<{ Role: string; User: string; Project: string }>>('role', 'assignment', 'list', '--project', 'service', '--names');
    const got = assignments.map((a) => `${a.User} ${a.Role} ${a.Project}`).sort();
    const want = ['cinder', 'glance', 'neutron', 'nova'].flatMap((u) => [`${u}@Default admin service@Default`, `${u}@Default service service@Default`]).sort();
    assert.deepEqual(got, want);
    assert.doesNotMatch(await osc('role', 'assignment', 'list', '--project', 'admin', '--names', '-f', 'value', '-c', 'User'), /nova|neutron|glance|cinder/);
  });

  test('nova binds ports as user nova, neutron tells nova about them as user neutron', async () => {
    // nova disabled: its port binding (admin-only in neutron) is refused although the admin is fine.
    await osc('user', 'set', '--disable', 'nova');
    const noNova = await build('svc-no-nova');
    assert.equal(noNova.status, 'ERROR', 'a build without nova\'s credentials fails');
    const novaId = (await osc('user', 'show', 'nova', '-f', 'value', '-c', 'id')).trim();
    assert.match(noNova.fault?.message ?? '', new RegExp(`step 28 .*The account is disabled for user: ${novaId}`), 'the port binding (step 28) went as user nova');
    await osc('server', 'delete', '--wait', noNova.id);
    await osc('user', 'set', '--enable', 'nova');

    // neutron disabled (which revokes the token it holds): the port is bound, but network-vif-plugged never reaches nova.
    await osc('user', 'set', '--disable', 'neutron');
    const noNeutron = await build('svc-no-neutron');
    assert.equal(noNeutron.status, 'ERROR', 'a build without neutron\'s event fails');
    assert.match(noNeutron.fault?.message ?? '', /network-vif-plugged/);
    await osc('server', 'delete', '--wait', noNeutron.id);
    await osc('user', 'set', '--enable', 'neutron');

    // Both enabled: the same build works (neutron's refused token is replaced), and the port is bound to this host.
    const ok = await build('svc-ok');
    assert.equal(ok.status, 'ACTIVE', JSON.stringify(ok.fault));
    const ports = await json<Array<{ ID: string }>>('port', 'list', '--server', ok.id);
    assert.equal(ports.length, 1);
    const port = await json<{ binding_host_id: string; binding_vif_type: string; status: string }>('port', 'show', ports[0]!.ID);
    assert.notEqual(port.binding_host_id, '');
    assert.equal(port.status, 'ACTIVE');
    await osc('server', 'delete', '--wait', ok.id);
  });
});
