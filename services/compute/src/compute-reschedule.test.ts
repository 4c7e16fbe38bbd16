import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@strata/log';
import { startTestCloud } from '@strata/testing';
import { ComputeService, type ComputeServiceOptions } from './compute-service.js';
import { InMemoryHypervisor } from './agent/in-memory-hypervisor.js';
import type { GuestSpec } from './agent/hypervisor.js';
import type { QuotaLimits } from './objects/quota.js';

const quotas: QuotaLimits = { instances: 10, cores: 20, ram: 51200, key_pairs: 100, metadata_items: 128, server_groups: 10, server_group_members: 10, injected_files: 5, injected_file_content_bytes: 10240, injected_file_path_bytes: 255, fixed_ips: -1, floating_ips: 10, security_groups: 10, security_group_rules: 20 };

/** A nova started by startNova, with what its tests drive it through. */
interface TestNova {
  readonly service: ComputeService;
  /** A request to nova's API as the cloud admin at 2.37. */
  call(method: string, url: string, payload?: unknown): Promise<{ status: number; body: any }>;
  /** POST /servers: flavor m1.tiny, the fixed test image, no networks. */
  boot(name: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * One nova (its own DB and bus) on `computeHosts`, a real keystone, no other services in its
 * catalog, and flavor 1 (m1.tiny). What was started is closed again if a later step fails.
 */
async function startNova(label: string, computeHosts: ComputeServiceOptions['computeHosts']): Promise<TestNova> {
  const tc = await startTestCloud();
  let nova: ComputeService | undefined;
  try {
    const token = await tc.adminToken();
    const dir = mkdtempSync(join(tmpdir(), `strata-nova-${label}-`));
    nova = await ComputeService.create({
      databaseUrl: `sqlite://${join(dir, 'compute.sqlite')}`,
      authUrl: tc.authUrl,
      transportUrl: `memory://${label}-${process.pid}`,
      logger: silentLogger(),
      settings: { defaultAvailabilityZone: 'nova', cpuAllocationRatio: 16, ramAllocationRatio: 1.5, diskAllocationRatio: 1, reportIntervalMs: 100, serviceDownTimeMs: 1000, maxAttempts: 3, vifPluggingTimeoutMs: 0, quotas, fakeResources: { vcpus: 8, memoryMb: 8192, localGb: 100 } },
      computeHosts,
      controllerHost: 'controller',
      stateDir: null,
      catalogOverrides: { image: null, network: null, 'block-storage': null, volumev3: null, volume: null },
    });
    await nova.api.flavors.create({ id: '1', name: 'm1.tiny', memoryMb: 512, vcpus: 1, rootGb: 1, ephemeralGb: 0, swap: 0, rxtxFactor: 1, isPublic: true, description: null });
    const started = nova;
    const call = async (method: string, url: string, payload?: unknown): Promise<{ status: number; body: any }> => {
      const res = await started.app.inject({ method: method as 'GET', url: `/v2.1${url}`, headers: { 'x-auth-token': token, 'openstack-api-version': 'compute 2.37' }, ...(payload !== undefined ? { payload: payload as object } : {}) });
      return { status: res.statusCode, body: res.body === '' ? undefined : res.json() };
    };
    return {
      service: started,
      call,
      boot: (name) => call('POST', '/servers', { server: { name, imageRef: '00000000-0000-4000-8000-000000000001', flavorRef: '1', networks: 'none' } }),
      close: async () => {
        await started.close();
        await tc.close();
      },
    };
  } catch (err) {
    await nova?.close();
    await tc.close();
    throw err;
  }
}

/** Two hosts in one nova, a real keystone, no other services in its catalog. */
describe('nova with two hosts: reschedule, host down', () => {
  let nova: TestNova;
  const waitFor = async (id: string, statuses: string[]): Promise<any> => {
    for (let n = 0; n < 400; n++) {
      const r = await nova.call('GET', `/servers/${id}`);
      if (statuses.includes(r.body.server.status)) return r.body.server;
      await sleep(10);
    }
    throw new Error('timeout');
  };

  before(async () => {
    nova = await startNova('reschedule', [
      // The broken host has more free RAM, so the RAM weigher tries it first.
      { host: 'broken', hypervisor: new InMemoryHypervisor({ vcpus: 8, memoryMb: 65536, localGb: 100, failSpawnFor: /./ }) },
      { host: 'good', hypervisor: new InMemoryHypervisor({ vcpus: 8, memoryMb: 8192, localGb: 100 }) },
    ]);
  });
  after(async () => {
    await nova?.close();
  });

  // NOTE: the events of every attempt are stored before ACTIVE is visible, so no wait is needed after it.
  test('a spawn failure is cleaned up and rescheduled onto the other host', async () => {
    const c = await nova.boot('resched');
    assert.equal(c.status, 202);
    const s = await waitFor(c.body.server.id, ['ACTIVE', 'ERROR']);
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'good');
    const broken = (await nova.service.api.services.getNodeByHost('broken'));
    assert.equal(broken.runningVms, 0, 'the claim on the failed host was released');
    const actions = await nova.call('GET', `/servers/${s.id}/os-instance-actions`);
    const detail = await nova.call('GET', `/servers/${s.id}/os-instance-actions/${actions.body.instanceActions[0].request_id}`);
    const builds = detail.body.instanceAction.events.filter((e: any) => e.event === 'compute_build_and_run_instance').map((e: any) => e.result);
    assert.deepEqual(builds.sort(), ['Error', 'Success']);
  });

  test('a host that stops reporting goes down and is not scheduled to', async () => {
    await nova.service.stopComputeHost('good');
    await sleep(1200);
    const services = await nova.call('GET', '/os-services?binary=nova-compute');
    const good = services.body.services.find((x: any) => x.host === 'good');
    assert.equal(good.state, 'down');
    const c = await nova.boot('nowhere');
    const s = await waitFor(c.body.server.id, ['ACTIVE', 'ERROR']);
    assert.equal(s.status, 'ERROR');
    assert.match(s.fault.details, /Exceeded maximum number of retries|ComputeFilter rejected 1/);
  });
});

/** A hypervisor whose spawn takes a while, so a build can be watched while it runs. */
class SlowHypervisor extends InMemoryHypervisor {
  override async spawn(spec: GuestSpec): Promise<void> {
    await sleep(600);
    await super.spawn(spec);
  }
}

describe('nova flow trace: live while building, steps 1–2 from keystone', () => {
  let nova: TestNova;

  before(async () => {
    nova = await startNova('live-trace', [{ host: 'slow', hypervisor: new SlowHypervisor({ vcpus: 8, memoryMb: 8192, localGb: 100 }) }]);
  });
  after(async () => {
    await nova?.close();
  });

  test('steps already done are in the trace before the server is ACTIVE; all of them once it is', async () => {
    const c = await nova.boot('live');
    assert.equal(c.status, 202);
    const id = c.body.server.id as string;
    let partial: number[] | undefined;
    for (let n = 0; n < 200 && partial === undefined; n++) {
      const t = await nova.call('GET', `/servers/${id}/strata-trace`);
      const s = await nova.call('GET', `/servers/${id}`);
      const steps = t.status === 200 ? (t.body.trace.steps as Array<{ step: number }>).map((x) => x.step) : [];
      if (s.body.server.status !== 'BUILD') break;
      if (steps.includes(14)) partial = steps;
      else await sleep(20);
    }
    assert.ok(partial !== undefined, 'the conductor step 14 was visible while the server was still building');
    assert.equal(partial.includes(51), false, 'the spawn (step 51) was not yet recorded');
    for (let n = 0; n < 200; n++) {
      if ((await nova.call('GET', `/servers/${id}`)).body.server.status !== 'BUILD') break;
      await sleep(20);
    }
    const trace = (await nova.call('GET', `/servers/${id}/strata-trace`)).body.trace;
    const byStep = new Map<number, any>((trace.steps as any[]).map((x) => [x.step, x]));
    assert.ok(byStep.has(51), 'the spawn is recorded once ACTIVE is visible');
    assert.equal(new Set(trace.steps.map((x: any) => `${x.step}/${x.started_at}`)).size, trace.steps.length, 'no step stored twice');
    // Steps 1–2 come from keystone: when it began authenticating for this token, and for how long.
    const one = byStep.get(1);
    const two = byStep.get(2);
    assert.equal(one?.component, 'client');
    assert.equal(one?.kind, 'http');
    assert.equal(two?.component, 'keystone');
    assert.equal(two?.kind, 'db');
    assert.ok(Date.parse(two.started_at) <= Date.parse(byStep.get(3).started_at), 'the token was issued before the create request');
    assert.equal(byStep.get(8)?.kind, 'rpc');
    assert.equal(byStep.get(6)?.kind, 'db');
  });
});
