/** FakeDriver: an in-memory hypervisor for tests and scale runs (nova/virt/fake.py): instant, with failures on demand. */
import { writeFile } from 'node:fs/promises';
import {
  DeviceAlreadyAttached,
  DeviceNotFound,
  HypervisorError,
  InstanceExists,
  InstanceInvalidState,
  InstanceNotFound,
  InvalidInstanceSpec,
  PowerState,
  assertBlockDevice,
  assertInstanceUuid,
  assertMountDevice,
  assertResizeSpec,
  assertSafePath,
  assertSpawnRequest,
  assertVif,
  powerStateName,
  type AvailableResource,
  type BlockDeviceInfo,
  type ComputeDriver,
  type ConsoleOutputOptions,
  type DestroyOptions,
  type DriverCapabilities,
  type InitOptions,
  type InstanceDiagnostics,
  type InstanceInfo,
  type LifecycleTransition,
  type OperationOptions,
  type PowerOffOptions,
  type RebootOptions,
  type ResizeOptions,
  type ResizeSpec,
  type SnapshotOptions,
  type SnapshotResult,
  type SpawnRequest,
  type VifInfo,
  type VirtHost,
  type VncConsole,
} from '@strata/virt';

/** Operations a failure can be injected into. */
export type FakeOperation =
  | 'spawn'
  | 'destroy'
  | 'reboot'
  | 'powerOff'
  | 'powerOn'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'attachVolume'
  | 'detachVolume'
  | 'attachInterface'
  | 'detachInterface'
  | 'snapshot'
  | 'resize'
  | 'revertResize';

/** A failure to inject: the next `times` calls of `operation` (for `uuid`, when given) throw `error`. */
export interface FakeFailure {
  readonly operation: FakeOperation;
  /** @default 1 */
  readonly times?: number;
  /** Only calls for this guest. @default any guest */
  readonly uuid?: string;
  /** @default a HypervisorError naming the operation */
  readonly error?: Error;
}

/** Options of FakeDriver.create. */
export interface FakeDriverConfig {
  /** @default 16 */
  readonly vcpus?: number;
  /** @default 32768 */
  readonly memoryMb?: number;
  /** @default 1000 */
  readonly localGb?: number;
  /** Failures active from the start. @default none */
  readonly failures?: readonly FakeFailure[];
}

interface FakeGuest {
  request: SpawnRequest;
  /** What revertResize goes back to while a resize is pending. */
  resized: { readonly request: SpawnRequest; readonly wasRunning: boolean } | null;
  powerState: PowerState;
  readonly volumes: Map<string, BlockDeviceInfo>;
  readonly nics: Map<string, VifInfo>;
  readonly console: string[];
  startedAt: number | null;
  readonly vncPort: number;
}

const MAX_CONSOLE_LINES = 2000;

/**
 * The fake hypervisor. Guests exist only in memory; every operation completes at once and
 * follows the ComputeDriver contract (so it passes the shared conformance suite). Its console
 * prints the same banner as Strata's test image. Thousands can run in one process.
 */
export class FakeDriver implements ComputeDriver {
  readonly type = 'fake';
  readonly capabilities: DriverCapabilities = Object.freeze({
    supportsAttachInterface: true,
    supportsHotplugVolume: true,
    supportsBootFromVolume: true,
    supportsNbdVolumes: true,
    supportsPause: true,
    supportsSuspend: true,
    supportsSoftReboot: true,
    supportsSnapshot: true,
    supportsConfigDrive: true,
    supportsVncConsole: true,
    supportsEvacuate: true,
    supportsResize: true,
    imageFormats: Object.freeze(['qcow2', 'raw'] as const),
  });

  readonly #resources: { readonly vcpus: number; readonly memoryMb: number; readonly localGb: number };
  readonly #guests = new Map<string, FakeGuest>();
  #failures: { operation: FakeOperation; remaining: number; uuid: string | undefined; error: Error | undefined }[] = [];
  #host = 'fake-host';
  #virtHost: VirtHost | undefined;
  #nextVncPort = 5900;

  protected constructor(config: FakeDriverConfig) {
    const pos = (v: number | undefined, def: number, name: string): number => {
      const n = v ?? def;
      if (!Number.isInteger(n) || n < 0) throw new Error(`FakeDriver config ${name} must be a non-negative integer`);
      return n;
    };
    this.#resources = Object.freeze({ vcpus: pos(config.vcpus, 16, 'vcpus'), memoryMb: pos(config.memoryMb, 32768, 'memoryMb'), localGb: pos(config.localGb, 1000, 'localGb') });
    for (const f of config.failures ?? []) this.failNext(f.operation, f);
  }

  /** A fake hypervisor with the given resources. */
  static async create(config: FakeDriverConfig = {}): Promise<FakeDriver> {
    return new FakeDriver(config);
  }

  /** Make the next `times` calls of `operation` fail (before changing anything). */
  failNext(operation: FakeOperation, options: Omit<FakeFailure, 'operation'> = {}): void {
    this.#failures.push({ operation, remaining: options.times ?? 1, uuid: options.uuid, error: options.error });
  }

  /** Forget every injected failure. */
  clearFailures(): void {
    this.#failures = [];
  }

  /**
   * Change a guest's power state as if the guest did it (powered itself off, crashed), and
   * report it to the VirtHost like a real hypervisor would.
   */
  simulateGuestPowerState(uuid: string, state: PowerState): void {
    const g = this.#guest(uuid);
    g.powerState = state;
    if (state === PowerState.SHUTDOWN) {
      g.startedAt = null;
      this.#print(g, 'strata-test-image: shutting down');
      this.#emit(uuid, 'stopped');
    } else if (state === PowerState.CRASHED) {
      this.#emit(uuid, 'crashed');
    }
  }

  async init(host: string, options: InitOptions = {}): Promise<void> {
    this.#host = host;
    this.#virtHost = options.virtHost;
  }

  async spawn(request: SpawnRequest, options: OperationOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    assertSpawnRequest(request);
    const uuid = request.instance.uuid;
    if (this.#guests.has(uuid)) throw new InstanceExists(uuid);
    this.#maybeFail('spawn', uuid);
    const { adminPassword: _secret, ...kept } = request;
    const g: FakeGuest = {
      request: kept,
      resized: null,
      powerState: PowerState.RUNNING,
      volumes: new Map(request.blockDeviceInfo.map((b) => [b.mountDevice, b])),
      nics: new Map(request.networkInfo.map((n) => [n.portId, n])),
      console: [],
      startedAt: Date.now(),
      vncPort: this.#nextVncPort++,
    };
    this.#guests.set(uuid, g);
    this.#boot(g);
    this.#emit(uuid, 'started');
  }

  async destroy(uuid: string, _options: DestroyOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    const g = this.#guests.get(uuid);
    if (g === undefined) return;
    this.#maybeFail('destroy', uuid);
    this.#guests.delete(uuid);
    if (g.powerState !== PowerState.SHUTDOWN) this.#emit(uuid, 'stopped');
  }

  async reboot(uuid: string, type: 'soft' | 'hard', _options: RebootOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (type !== 'soft' && type !== 'hard') throw new InvalidInstanceSpec('type', 'must be soft or hard');
    if (type === 'soft' && g.powerState !== PowerState.RUNNING) throw new InstanceInvalidState(uuid, powerStateName(g.powerState), 'reboot soft');
    this.#maybeFail('reboot', uuid);
    if (type === 'soft') this.#print(g, 'strata-test-image: power button pressed, powering off');
    g.powerState = PowerState.RUNNING;
    g.startedAt = Date.now();
    this.#boot(g);
    this.#emit(uuid, 'started');
  }

  async powerOff(uuid: string, _options: PowerOffOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (g.powerState === PowerState.SHUTDOWN) return;
    this.#maybeFail('powerOff', uuid);
    const wasSuspended = g.powerState === PowerState.SUSPENDED;
    g.powerState = PowerState.SHUTDOWN;
    g.startedAt = null;
    if (!wasSuspended) {
      this.#print(g, 'strata-test-image: power button pressed, powering off');
      this.#emit(uuid, 'stopped');
    }
  }

  async powerOn(uuid: string, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (g.powerState === PowerState.RUNNING || g.powerState === PowerState.PAUSED) return;
    this.#maybeFail('powerOn', uuid);
    const resumed = g.powerState === PowerState.SUSPENDED;
    g.powerState = PowerState.RUNNING;
    g.startedAt = Date.now();
    if (resumed) {
      this.#emit(uuid, 'resumed');
      return;
    }
    this.#boot(g);
    this.#emit(uuid, 'started');
  }

  async pause(uuid: string, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (g.powerState === PowerState.PAUSED) return;
    if (g.powerState !== PowerState.RUNNING) throw new InstanceInvalidState(uuid, powerStateName(g.powerState), 'pause');
    this.#maybeFail('pause', uuid);
    g.powerState = PowerState.PAUSED;
    this.#emit(uuid, 'paused');
  }

  async unpause(uuid: string, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (g.powerState === PowerState.RUNNING) return;
    if (g.powerState !== PowerState.PAUSED) throw new InstanceInvalidState(uuid, powerStateName(g.powerState), 'unpause');
    this.#maybeFail('unpause', uuid);
    g.powerState = PowerState.RUNNING;
    this.#emit(uuid, 'resumed');
  }

  async suspend(uuid: string, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (g.powerState !== PowerState.RUNNING && g.powerState !== PowerState.PAUSED) throw new InstanceInvalidState(uuid, powerStateName(g.powerState), 'suspend');
    this.#maybeFail('suspend', uuid);
    g.powerState = PowerState.SUSPENDED;
    this.#emit(uuid, 'suspended');
  }

  async resume(uuid: string, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (g.powerState !== PowerState.SUSPENDED) throw new InstanceInvalidState(uuid, powerStateName(g.powerState), 'resume');
    this.#maybeFail('resume', uuid);
    g.powerState = PowerState.RUNNING;
    this.#emit(uuid, 'resumed');
  }

  async getInfo(uuid: string): Promise<InstanceInfo> {
    const g = this.#guest(uuid);
    const running = g.powerState === PowerState.RUNNING || g.powerState === PowerState.PAUSED || g.powerState === PowerState.CRASHED;
    return { powerState: g.powerState, internalId: running ? `fake-${uuid.slice(0, 8)}` : null };
  }

  async listInstanceUuids(): Promise<string[]> {
    return [...this.#guests.keys()].sort();
  }

  async getConsoleOutput(uuid: string, options: ConsoleOutputOptions = {}): Promise<string> {
    const g = this.#guest(uuid);
    if (options.length !== undefined && (!Number.isInteger(options.length) || options.length < 0)) throw new InvalidInstanceSpec('length', 'must be a non-negative integer');
    const lines = options.length === undefined ? g.console : options.length === 0 ? [] : g.console.slice(-options.length);
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  async attachVolume(uuid: string, volume: BlockDeviceInfo, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    assertBlockDevice(volume, 'volume');
    if (g.volumes.has(volume.mountDevice)) throw new DeviceAlreadyAttached(uuid, volume.mountDevice);
    this.#maybeFail('attachVolume', uuid);
    g.volumes.set(volume.mountDevice, volume);
    if (g.powerState === PowerState.RUNNING) {
      this.#print(g, `strata-test-image: block device added: ${volume.mountDevice.slice('/dev/'.length)}`);
      this.#print(g, `block devices: ${this.#blockList(g)}`);
    }
  }

  async detachVolume(uuid: string, mountDevice: string, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    assertMountDevice(mountDevice);
    if (!g.volumes.has(mountDevice)) throw new DeviceNotFound(uuid, mountDevice);
    this.#maybeFail('detachVolume', uuid);
    g.volumes.delete(mountDevice);
    if (g.powerState === PowerState.RUNNING) {
      this.#print(g, `strata-test-image: block device removed: ${mountDevice.slice('/dev/'.length)}`);
      this.#print(g, `block devices: ${this.#blockList(g)}`);
    }
  }

  async attachInterface(uuid: string, vif: VifInfo, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    assertVif(vif, 'vif');
    if (g.nics.has(vif.portId)) throw new DeviceAlreadyAttached(uuid, vif.portId);
    if ([...g.nics.values()].some((n) => n.mac === vif.mac)) throw new InvalidInstanceSpec('vif.mac', 'is already used by another port of the guest');
    this.#maybeFail('attachInterface', uuid);
    g.nics.set(vif.portId, vif);
  }

  async detachInterface(uuid: string, portId: string, _options: OperationOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    assertInstanceUuid(portId, 'portId');
    if (!g.nics.has(portId)) throw new DeviceNotFound(uuid, portId);
    this.#maybeFail('detachInterface', uuid);
    g.nics.delete(portId);
  }

  async snapshot(uuid: string, targetPath: string, options: SnapshotOptions = {}): Promise<SnapshotResult> {
    const g = this.#guest(uuid);
    assertSafePath(targetPath, 'targetPath');
    if (g.request.image === null) throw new InstanceInvalidState(uuid, 'booted-from-volume', 'snapshot');
    options.signal?.throwIfAborted();
    this.#maybeFail('snapshot', uuid);
    const format = options.format ?? 'qcow2';
    const data = Buffer.from(`fake ${format} snapshot of instance ${uuid}\n`);
    await writeFile(targetPath, data, { flag: 'wx' }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InvalidInstanceSpec('targetPath', 'already exists');
      throw err;
    });
    const virtualSize = Math.max(1, g.request.instance.rootGb) * 1024 * 1024 * 1024;
    return { path: targetPath, format, size: data.length, virtualSize };
  }

  async resize(uuid: string, spec: ResizeSpec, options: ResizeOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    assertResizeSpec(spec);
    if (g.resized !== null) throw new InstanceInvalidState(uuid, 'resize-pending', 'resize');
    if (g.powerState === PowerState.SUSPENDED) throw new InstanceInvalidState(uuid, 'suspended', 'resize');
    const old = g.request.instance;
    if ((spec.rootGb !== 0 && spec.rootGb < old.rootGb) || (spec.ephemeralGb !== 0 && spec.ephemeralGb < old.ephemeralGb)) {
      throw new InvalidInstanceSpec(spec.rootGb < old.rootGb ? 'spec.rootGb' : 'spec.ephemeralGb', 'a disk cannot shrink');
    }
    this.#maybeFail('resize', uuid);
    const wasRunning = g.powerState !== PowerState.SHUTDOWN;
    g.resized = { request: g.request, wasRunning };
    g.request = { ...g.request, instance: { ...old, vcpus: spec.vcpus, memoryMb: spec.memoryMb, rootGb: spec.rootGb === 0 ? old.rootGb : spec.rootGb, ephemeralGb: spec.ephemeralGb, swapMb: spec.swapMb, extraSpecs: spec.extraSpecs } };
    if (wasRunning) this.#emit(uuid, 'stopped');
    this.#start(g, options.powerOn ?? true);
  }

  async confirmResize(uuid: string): Promise<void> {
    this.#guest(uuid).resized = null;
  }

  async revertResize(uuid: string, options: ResizeOptions = {}): Promise<void> {
    const g = this.#guest(uuid);
    if (g.resized === null) throw new InstanceInvalidState(uuid, 'no-resize-pending', 'revert resize');
    this.#maybeFail('revertResize', uuid);
    const { request, wasRunning } = g.resized;
    g.resized = null;
    if (g.powerState !== PowerState.SHUTDOWN) this.#emit(uuid, 'stopped');
    g.request = request;
    this.#start(g, options.powerOn ?? wasRunning);
  }

  async getAvailableResource(): Promise<AvailableResource> {
    let vcpusUsed = 0;
    let memoryMbUsed = 0;
    let localGbUsed = 0;
    for (const g of this.#guests.values()) {
      const i = g.request.instance;
      vcpusUsed += i.vcpus;
      memoryMbUsed += i.memoryMb;
      localGbUsed += (g.request.image === null ? 0 : i.rootGb) + i.ephemeralGb + Math.ceil(i.swapMb / 1024);
    }
    const r = this.#resources;
    return {
      vcpus: r.vcpus,
      memoryMb: r.memoryMb,
      localGb: r.localGb,
      vcpusUsed,
      memoryMbUsed,
      localGbUsed,
      hypervisorType: 'fake',
      hypervisorVersion: 1000,
      hypervisorHostname: this.#host,
      cpuInfo: { arch: 'x86_64', model: 'fake', vendor: 'fake', topology: { sockets: 1, cores: r.vcpus, threads: 1 }, features: [] },
      diskAvailableLeast: r.localGb - localGbUsed,
      supportedInstances: [['x86_64', 'fake', 'hvm']],
    };
  }

  async getVncConsole(uuid: string): Promise<VncConsole> {
    const g = this.#guest(uuid);
    if (g.powerState !== PowerState.RUNNING && g.powerState !== PowerState.PAUSED) throw new InstanceInvalidState(uuid, powerStateName(g.powerState), 'get VNC console');
    return { host: '127.0.0.1', port: g.vncPort };
  }

  async getDiagnostics(uuid: string): Promise<InstanceDiagnostics> {
    const g = this.#guest(uuid);
    const i = g.request.instance;
    const disks: InstanceDiagnostics['disks'][number][] = [];
    if (g.request.image !== null) disks.push({ role: 'root', device: '/dev/vda', bus: 'virtio', source: g.request.image.path, readOnly: false });
    for (const v of g.volumes.values()) {
      const c = v.connectionInfo;
      disks.push({ role: 'volume', device: v.mountDevice, bus: v.diskBus ?? 'virtio', source: c.driverVolumeType === 'file' ? c.path : `nbd://${c.host}:${c.port}/${c.exportName}`, readOnly: v.readOnly ?? false });
    }
    if (g.request.configDrive !== undefined) disks.push({ role: 'config-drive', device: '/dev/sr0', bus: 'ide', source: 'fake', readOnly: true });
    return {
      state: powerStateName(g.powerState),
      driver: 'fake',
      hypervisor: 'fake',
      uptimeSeconds: g.startedAt === null ? null : Math.round((Date.now() - g.startedAt) / 1000),
      configDrive: g.request.configDrive !== undefined,
      numCpus: i.vcpus,
      memoryMb: i.memoryMb,
      disks,
      nics: [...g.nics.values()].map((n) => ({ portId: n.portId, mac: n.mac, tapName: n.tapName ?? null, model: i.imageProperties.hw_vif_model ?? 'virtio' })),
    };
  }

  async close(): Promise<void> {
    // NOTE: nothing to release; guests stay, as real ones keep running when nova-compute stops.
  }

  /** After a resize: boot (RUNNING) or stay off (SHUTDOWN). */
  #start(g: FakeGuest, powerOn: boolean): void {
    if (powerOn) {
      g.powerState = PowerState.RUNNING;
      g.startedAt = Date.now();
      this.#boot(g);
      this.#emit(g.request.instance.uuid, 'started');
    } else {
      g.powerState = PowerState.SHUTDOWN;
      g.startedAt = null;
    }
  }

  #guest(uuid: string): FakeGuest {
    assertInstanceUuid(uuid);
    const g = this.#guests.get(uuid);
    if (g === undefined) throw new InstanceNotFound(uuid);
    return g;
  }

  #maybeFail(operation: FakeOperation, uuid: string): void {
    const f = this.#failures.find((x) => x.operation === operation && (x.uuid === undefined || x.uuid === uuid) && x.remaining > 0);
    if (f === undefined) return;
    f.remaining -= 1;
    if (f.remaining <= 0) this.#failures = this.#failures.filter((x) => x !== f);
    throw f.error ?? new HypervisorError(operation, 'injected failure (FakeDriver)', { instanceId: uuid });
  }

  #emit(uuid: string, transition: LifecycleTransition): void {
    try {
      this.#virtHost?.lifecycleEvent({ uuid, transition, at: new Date().toISOString() });
    } catch {
      // NOTE: a failing handler must not fail the operation that reported it.
    }
  }

  #print(g: FakeGuest, line: string): void {
    g.console.push(line);
    if (g.console.length > MAX_CONSOLE_LINES) g.console.splice(0, g.console.length - MAX_CONSOLE_LINES);
  }

  #blockList(g: FakeGuest): string {
    const names: string[] = [];
    if (g.request.image !== null) names.push('vda');
    for (const d of g.volumes.keys()) names.push(d.slice('/dev/'.length));
    if (g.request.configDrive !== undefined) names.push('sr0');
    return names.join(', ');
  }

  /** What the test image prints when it boots, so console checks read the same on both drivers. */
  #boot(g: FakeGuest): void {
    const md = g.request.configDrive?.metaData ?? {};
    const hostname = typeof md.hostname === 'string' ? md.hostname : g.request.instance.name;
    const addrs = [...g.nics.values()].flatMap((n, i) => n.ips.map((ip) => `eth${i} ${ip.address}/${ip.prefixLength ?? (ip.version === 4 ? 24 : 64)}`));
    this.#print(g, 'strata-test-image: booting (kernel fake)');
    this.#print(g, '=== strata-test-image ready ===');
    this.#print(g, `hostname: ${hostname}`);
    this.#print(g, `instance-id: ${g.request.instance.uuid}`);
    this.#print(g, `metadata: ${g.request.configDrive !== undefined ? 'config-drive (/dev/sr0)' : 'none'}`);
    this.#print(g, `addresses: ${addrs.length > 0 ? addrs.join(', ') : 'none'}`);
    this.#print(g, `block devices: ${this.#blockList(g)}`);
    this.#print(g, '=== end of banner ===');
  }
}
