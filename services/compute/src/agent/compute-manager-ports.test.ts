// What the hypervisor is given of a guest's ports (and, on rebuild, volumes) after nova-compute
// restarted (its memory of neutron's bindings empty): each action on a fresh ComputeManager with a
// fake conductor, neutron and cinder, and a hypervisor that records what it receives. No QEMU.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import { Tracer } from '@strata/trace';
import type { ConductorRpcClient } from '../conductor/conductor-rpc.js';
import type { SchedulerRpcClient } from '../scheduler/scheduler-rpc.js';
import type { ImageService } from '../clients/image-service.js';
import type { NetworkMeta, NetworkService, PortMeta } from '../clients/network-service.js';
import type { VolumeService } from '../clients/volume-service.js';
import { PowerState, type FlavorSnapshot, type Instance, type NetworkInfo } from '../objects/instance.js';
import { ComputeManager } from './compute-manager.js';
import type { PowerAction } from './compute-rpc.js';
import type { GuestSpec, PortBinding, ResizeFlavor } from './hypervisor.js';
import { InMemoryHypervisor } from './in-memory-hypervisor.js';

const HOST = 'host-a';
const INSTANCE = '44444444-4444-4444-8444-444444444444';
const flavor: FlavorSnapshot = { id: '1', name: 'm1.tiny', memoryMb: 512, vcpus: 1, rootGb: 1, ephemeralGb: 0, swap: 0, rxtxFactor: 1, isPublic: true, description: null, extraSpecs: {} };
const bigger: FlavorSnapshot = { ...flavor, id: '2', name: 'm1.small', memoryMb: 1024, rootGb: 2 };

/** Neutron's view: two networks (MTU 1450 and 9000) and the ports bound by the linuxbridge backend. */
const networks: Record<string, NetworkMeta> = {
  'net-1': { id: 'net-1', name: 'private', shared: false, external: false, projectId: 'proj', subnets: ['sub-1'], mtu: 1450 },
  'net-2': { id: 'net-2', name: 'jumbo', shared: true, external: false, projectId: 'other', subnets: ['sub-2'], mtu: 9000 },
};
const neutronPorts: Record<string, PortMeta> = {
  'port-a': { id: 'port-a', networkId: 'net-1', deviceId: INSTANCE, deviceOwner: 'compute:nova', macAddress: 'fa:16:3e:00:00:0a', status: 'ACTIVE', fixedIps: [{ ipAddress: '10.0.0.10', subnetId: 'sub-1' }], vifType: 'bridge', vifDetails: { port_filter: true } },
  'port-b': { id: 'port-b', networkId: 'net-2', deviceId: INSTANCE, deviceOwner: 'compute:nova', macAddress: 'fa:16:3e:00:00:0b', status: 'ACTIVE', fixedIps: [{ ipAddress: '10.1.0.11', subnetId: 'sub-2' }], vifType: 'bridge', vifDetails: { bridge_name: 'br-jumbo' } },
  'port-c': { id: 'port-c', networkId: 'net-2', deviceId: '', deviceOwner: '', macAddress: 'fa:16:3e:00:00:0c', status: 'ACTIVE', fixedIps: [{ ipAddress: '10.1.0.12', subnetId: 'sub-2' }], vifType: 'bridge', vifDetails: { bridge_name: 'br-jumbo' } },
};
/** What each port's binding is, as the hypervisor must get it. */
const expectedBinding: Record<string, PortBinding> = {
  'port-a': { vifType: 'bridge', vifDetails: { port_filter: true }, mtu: 1450 },
  'port-b': { vifType: 'bridge', vifDetails: { bridge_name: 'br-jumbo' }, mtu: 9000 },
  'port-c': { vifType: 'bridge', vifDetails: { bridge_name: 'br-jumbo' }, mtu: 9000 },
};

function infoOf(p: PortMeta, created: boolean): NetworkInfo {
  return { portId: p.id, networkId: p.networkId, networkName: networks[p.networkId]?.name ?? p.networkId, macAddress: p.macAddress, ips: p.fixedIps.map((i) => ({ address: i.ipAddress, version: 4 as const, type: 'fixed' as const })), created };
}

function instanceOf(over: Partial<Instance>): Instance {
  return {
    id: INSTANCE, projectId: 'proj', userId: 'user', name: 'vm1', description: null, hostname: 'vm1', host: HOST, node: HOST, availabilityZone: 'nova',
    flavor, newFlavor: null, oldFlavor: null, imageRef: '', vmState: 'active', taskState: null, powerState: PowerState.RUNNING,
    keyName: null, keyData: null, userData: null, metadata: {}, tags: [], configDrive: '', accessIpV4: '', accessIpV6: '', reservationId: 'r-1', launchIndex: 0,
    locked: false, lockedBy: null, lockedReason: null, requestedNetworks: 'none', blockDevices: [], securityGroups: [], schedulerHints: {},
    networkInfo: [infoOf(neutronPorts['port-a'] as PortMeta, true), infoOf(neutronPorts['port-b'] as PortMeta, false)],
    fault: null, serverGroupId: null, rootDeviceName: '/dev/vda', progress: 0, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
    launchedAt: '2026-01-01T00:00:00Z', terminatedAt: null, deleted: false, deletedAt: null, diskConfig: 'MANUAL', systemMetadata: {},
    ...over,
  };
}

/** The in-memory hypervisor, recording every call and every spec or port it is handed. */
class RecordingHypervisor extends InMemoryHypervisor {
  readonly calls: string[] = [];
  readonly spawned: GuestSpec[] = [];
  readonly attachedPorts: Array<GuestSpec['ports'][number]> = [];
  constructor() {
    super({ vcpus: 8, memoryMb: 8192, localGb: 100 });
  }
  override async spawn(spec: GuestSpec): Promise<void> {
    this.calls.push('spawn');
    this.spawned.push(spec);
    await super.spawn(spec);
  }
  override async destroy(id: string): Promise<void> {
    this.calls.push('destroy');
    await super.destroy(id);
  }
  override async powerOff(id: string): Promise<void> {
    this.calls.push('powerOff');
    await super.powerOff(id);
  }
  override async powerOn(id: string): Promise<void> {
    this.calls.push('powerOn');
    await super.powerOn(id);
  }
  override async reboot(id: string, type: 'SOFT' | 'HARD'): Promise<void> {
    this.calls.push(`reboot ${type}`);
    await super.reboot(id, type);
  }
  override async suspend(id: string): Promise<void> {
    this.calls.push('suspend');
    await super.suspend(id);
  }
  override async resume(id: string): Promise<void> {
    this.calls.push('resume');
    await super.resume(id);
  }
  override async attachInterface(id: string, p: GuestSpec['ports'][number]): Promise<void> {
    this.calls.push('attachInterface');
    this.attachedPorts.push(p);
    await super.attachInterface(id, p);
  }
  async resize(id: string, _flavor: ResizeFlavor, powerOn: boolean): Promise<void> {
    this.calls.push(`resize powerOn=${String(powerOn)}`);
    await super.powerOff(id);
    if (powerOn) await super.powerOn(id);
  }
  async confirmResize(_id: string): Promise<void> {
    this.calls.push('confirmResize');
  }
  async revertResize(id: string): Promise<void> {
    this.calls.push('revertResize');
    await super.powerOn(id);
  }
  async has(id: string): Promise<boolean> {
    return this.consoleOutput(id).then(() => true, () => false);
  }
}

/** A fresh nova-compute (as after a restart) on `hv`, with a fake conductor and neutron holding `instance`. */
function restartedCompute(hv: RecordingHypervisor, instance: Instance, o: { neutronDown?: boolean; imageGone?: boolean; attachments?: ReadonlyArray<{ volumeId: string; device: string; attachmentId: string }> } = {}) {
  let current = instance;
  const events: Array<{ event: string; result: string | null; traceback: string | null }> = [];
  const neutronReads: string[] = [];
  const conductor = {
    instanceGetWithFlavor: async () => current,
    instanceUpdate: async (_ctx: RpcContext, a: { changes: Partial<Instance> }) => {
      current = { ...current, ...a.changes };
      return current;
    },
    instanceOffload: async () => {
      current = { ...current, host: null, node: null, vmState: 'shelved_offloaded', powerState: PowerState.SHUTDOWN, taskState: null };
      return current;
    },
    recordActionEvents: async (_ctx: RpcContext, a: { events: Array<{ event: string; result: string | null; traceback: string | null }> }) => {
      for (const e of a.events) if (e.event.startsWith('compute_')) events.push({ event: e.event, result: e.result, traceback: e.traceback });
    },
    instanceBuildFailed: async () => undefined,
    attachmentList: async () => (o.attachments ?? []).map((a) => ({ id: `bdm-${a.volumeId}`, instanceId: INSTANCE, tag: null, deleteOnTermination: false, createdAt: '2026-01-01T00:00:00Z', ...a })),
    attachmentCreate: async () => undefined,
    instanceDestroy: async () => undefined,
  };
  const neutronRead = (what: string): void => {
    neutronReads.push(what);
    if (o.neutronDown === true) throw new Error('neutron: connection refused');
  };
  const network = {
    boundPort: async (_t: string, id: string) => {
      neutronRead(`GET port ${id}`);
      return neutronPorts[id];
    },
    getNetwork: async (_t: string, id: string) => {
      neutronRead(`GET network ${id}`);
      return networks[id];
    },
    bindPort: async (_t: string, id: string, instanceId: string, host: string) => {
      neutronRead(`PUT port ${id}`);
      const p = neutronPorts[id];
      if (p === undefined) throw new Error(`no port ${id}`);
      assert.equal(host, HOST);
      return { ...p, deviceId: instanceId };
    },
    createPort: async () => {
      throw new Error('no port is created in these tests');
    },
    unbindPort: async () => undefined,
    deletePort: async () => undefined,
  };
  const manager = new ComputeManager({
    host: HOST,
    hypervisor: hv,
    conductor: conductor as unknown as ConductorRpcClient,
    scheduler: { buildInstances: async () => undefined } as unknown as SchedulerRpcClient,
    images: (o.imageGone === true ? { available: async () => true, find: async () => undefined } : { available: async () => false }) as unknown as ImageService,
    networks: network as unknown as NetworkService,
    volumes: { connection: async (_t: string, _p: string, attachmentId: string) => ({ driver_volume_type: 'file', data: { path: `/volumes/${attachmentId}` } }) } as unknown as VolumeService,
    tracer: new Tracer(),
    logger: silentLogger(),
    imageCacheDir: null,
    maxAttempts: 1,
    vifPluggingTimeoutMs: 0,
  });
  const ctx: RpcContext = { requestId: 'req-test', globalRequestId: 'req-global', roles: ['admin'] };
  return {
    manager,
    events,
    neutronReads,
    instance: () => current,
    set: (over: Partial<Instance>) => {
      current = { ...current, ...over };
    },
    run: (action: PowerAction, extra?: Record<string, unknown>) => manager.runAction(ctx, { instanceId: INSTANCE, action, authToken: 'user-token', ...(extra !== undefined ? { extra } : {}) }),
    build: () => manager.buildAndRunInstance(ctx, { instanceId: INSTANCE, spec: {} as never, attempt: 1, triedHosts: [HOST], authToken: 'user-token' }),
    attach: (portId: string) => manager.attachInterface(ctx, { instanceId: INSTANCE, networkId: null, portId, fixedIp: null, authToken: 'user-token' }),
  };
}

/** The guest as the previous nova-compute process built it (its bindings now forgotten). */
async function builtBefore(hv: RecordingHypervisor, instance: Instance): Promise<void> {
  await hv.spawn({ instanceId: instance.id, name: instance.hostname, vcpus: 1, memoryMb: 512, rootGb: 1, imagePath: null, imageId: null, imageFormat: 'qcow2', ephemeralGb: 0, swapMb: 0, extraSpecs: {}, ports: instance.networkInfo.map((p) => ({ portId: p.portId, macAddress: p.macAddress, networkId: p.networkId, ips: p.ips.map((i) => i.address), binding: expectedBinding[p.portId] as PortBinding })), volumes: [], userData: null, metadata: {}, keyData: null });
  hv.calls.length = 0;
  hv.spawned.length = 0;
}

function assertBound(ports: GuestSpec['ports'], ids: readonly string[]): void {
  assert.deepEqual(ports.map((p) => p.portId), ids);
  for (const p of ports) assert.deepEqual(p.binding, expectedBinding[p.portId], `port ${p.portId} carries neutron's binding (vif type, details, MTU)`);
}

describe('nova-compute after a restart: the ports the hypervisor gets carry their bindings', () => {
  test('rebuild respawns the guest with each port bound as neutron has it (read back, not from memory)', async () => {
    const hv = new RecordingHypervisor();
    const instance = instanceOf({});
    await builtBefore(hv, instance);
    const c = restartedCompute(hv, instance);
    await c.run('rebuild', { imageRef: '' });
    assert.deepEqual(c.events, [{ event: 'compute_rebuild_instance', result: 'Success', traceback: null }]);
    assert.deepEqual(hv.calls, ['destroy', 'spawn']);
    assertBound(hv.spawned[0]?.ports ?? [], ['port-a', 'port-b']);
    assert.deepEqual(hv.spawned[0]?.ports.map((p) => p.ips), [['10.0.0.10'], ['10.1.0.11']]);
    assert.ok(c.neutronReads.includes('GET port port-a') && c.neutronReads.includes('GET port port-b'), 'the bindings came from neutron');
  });

  for (const [what, o, imageRef, error] of [
    ['neutron cannot be read', { neutronDown: true }, '', /neutron: connection refused/],
    ['the image is gone from glance', { imageGone: true }, 'img-gone', /Image img-gone could not be found/],
  ] as const) {
    test(`rebuild when ${what} fails before the guest is destroyed`, async () => {
      const hv = new RecordingHypervisor();
      const instance = instanceOf({});
      await builtBefore(hv, instance);
      const c = restartedCompute(hv, instance, o);
      await c.run('rebuild', { imageRef });
      assert.equal(c.events[0]?.result, 'Error');
      assert.match(c.events[0]?.traceback ?? '', error);
      assert.deepEqual(hv.calls, [], 'neither destroyed nor respawned');
      assert.ok(await hv.has(INSTANCE), 'the guest is still there');
      assert.equal(c.instance().vmState, 'active');
    });
  }

  test('unshelve of an offloaded server binds its ports again and spawns them with their bindings', async () => {
    const hv = new RecordingHypervisor();
    const c = restartedCompute(hv, instanceOf({ host: HOST, vmState: 'shelved_offloaded', taskState: 'unshelving', powerState: PowerState.SHUTDOWN }));
    await c.build();
    assert.deepEqual(hv.calls, ['spawn']);
    assertBound(hv.spawned[0]?.ports ?? [], ['port-a', 'port-b']);
    assert.equal(c.instance().vmState, 'active');
  });

  test('attaching a port hands the hypervisor its binding', async () => {
    const hv = new RecordingHypervisor();
    const instance = instanceOf({});
    await builtBefore(hv, instance);
    const c = restartedCompute(hv, instance);
    await c.attach('port-c');
    assertBound(hv.attachedPorts, ['port-c']);
    assert.deepEqual(c.instance().networkInfo.map((p) => p.portId), ['port-a', 'port-b', 'port-c']);
  });

  test('rebuild gives the guest its attached volumes back: a volume-backed server boots from its root volume', async () => {
    const hv = new RecordingHypervisor();
    const instance = instanceOf({ blockDevices: [{ bootIndex: 0, sourceType: 'volume', destinationType: 'volume', uuid: 'vol-root', deleteOnTermination: false }] });
    await builtBefore(hv, instance);
    const attachments = [
      { volumeId: 'vol-root', device: '/dev/vda', attachmentId: 'att-root' },
      { volumeId: 'vol-data', device: '/dev/vdb', attachmentId: 'att-data' },
    ];
    const c = restartedCompute(hv, instance, { attachments });
    await c.run('rebuild', { imageRef: '' });
    assert.deepEqual(c.events, [{ event: 'compute_rebuild_instance', result: 'Success', traceback: null }]);
    assert.deepEqual(hv.spawned[0]?.volumes, [
      { volumeId: 'vol-root', device: '/dev/vda', bootIndex: 0, connection: { driver_volume_type: 'file', data: { path: '/volumes/att-root' } } },
      { volumeId: 'vol-data', device: '/dev/vdb', bootIndex: null, connection: { driver_volume_type: 'file', data: { path: '/volumes/att-data' } } },
    ]);
    assert.equal(hv.spawned[0]?.imagePath, null, 'no local root disk beside the root volume');
    // An image-backed server keeps its data volume, none of them the boot disk.
    const hv2 = new RecordingHypervisor();
    await builtBefore(hv2, instanceOf({}));
    const c2 = restartedCompute(hv2, instanceOf({}), { attachments: [{ volumeId: 'vol-data', device: '/dev/vdb', attachmentId: 'att-data' }] });
    await c2.run('rebuild', { imageRef: '' });
    assert.deepEqual(hv2.spawned[0]?.volumes.map((v) => [v.volumeId, v.bootIndex]), [['vol-data', null]]);
  });

  test('every other action restarts the guest from the hypervisor\'s own record: no respawn, no ports handed', async () => {
    const steps: Array<{ action: PowerAction; before: Partial<Instance>; calls: string[] }> = [
      { action: 'stop', before: {}, calls: ['powerOff'] },
      { action: 'start', before: { vmState: 'stopped', powerState: PowerState.SHUTDOWN }, calls: ['powerOn'] },
      { action: 'reboot_hard', before: {}, calls: ['reboot HARD'] },
      { action: 'reboot_soft', before: {}, calls: ['reboot SOFT'] },
      { action: 'suspend', before: {}, calls: ['suspend'] },
      { action: 'resume', before: { vmState: 'suspended', powerState: PowerState.SUSPENDED }, calls: ['resume'] },
      { action: 'rescue', before: {}, calls: ['reboot HARD'] },
      { action: 'unrescue', before: { vmState: 'rescued' }, calls: ['reboot HARD'] },
      { action: 'resize', before: { newFlavor: bigger }, calls: ['resize powerOn=true'] },
      { action: 'revert_resize', before: { vmState: 'resized' }, calls: ['revertResize'] },
      { action: 'resize', before: { newFlavor: bigger }, calls: ['resize powerOn=true'] },
      { action: 'confirm_resize', before: { vmState: 'resized' }, calls: ['confirmResize'] },
    ];
    const hv = new RecordingHypervisor();
    const instance = instanceOf({});
    await builtBefore(hv, instance);
    for (const s of steps) {
      // A new process for each action: nothing is remembered between them.
      const c = restartedCompute(hv, instanceOf(s.before));
      hv.calls.length = 0;
      await c.run(s.action);
      assert.deepEqual(c.events, [{ event: eventOf(s.action), result: 'Success', traceback: null }], `${s.action} succeeded`);
      assert.deepEqual(hv.calls, s.calls, `${s.action}: what the hypervisor was asked`);
      assert.deepEqual(c.neutronReads, [], `${s.action}: no port lookups`);
    }
    assert.deepEqual(hv.spawned, [], 'the guest was never respawned');
  });
});

function eventOf(action: PowerAction): string {
  if (action === 'reboot_hard' || action === 'reboot_soft') return 'compute_reboot_instance';
  if (action === 'confirm_resize' || action === 'revert_resize') return `compute_${action}`;
  return `compute_${action}_instance`;
}
