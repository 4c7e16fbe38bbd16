/** QemuDriver: one QEMU process per guest, launched with an argument array and managed over QMP (nova's libvirt driver, without libvirt). */
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { isOpenStackError } from '@strata/errors';
import type { Logger } from '@strata/log';
import {
  DeviceAlreadyAttached,
  DeviceDetachFailed,
  DeviceNotFound,
  HypervisorError,
  ImageUnacceptable,
  INSTANCE_UUID_RE,
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
import { probeAccel, type Accel } from './accel-probe.js';
import { buildConfigDrive } from './config-drive.js';
import { DiskImages } from './disk-images.js';
import { CommandFailed } from './host-commands.js';
import { instanceFiles, readDefinition, resizeBackupDir, writeDefinition, type InstanceFiles } from './instance-files.js';
import { addOwnDisk, allocatePci, cpuTopology, nicFor, planInstance, volumeDisk, type DiskDef, type InstanceDefinition } from './instance-definition.js';
import { hostCpuInfo } from './host-cpu-info.js';
import { KeyedMutex } from './keyed-mutex.js';
import { loadMemoryState, saveMemoryState } from './memory-state.js';
import { blockdevArgs, buildQemuArgs, diskDeviceArgs, netdevArgs, nicDeviceArgs } from './qemu-command-line.js';
import { compileQemuDriverConfig, type CompiledQemuDriverConfig, type QemuDriverConfig } from './qemu-driver-config.js';
import { isGuestProcess, killGuestProcess, readPidFile, startDaemonized, waitForExit } from './qemu-process.js';
import { QmpClient } from './qmp-client.js';
import { TapDevices } from './tap-devices.js';
import { withTimeout } from './with-timeout.js';

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;
/** nova's libvirt driver returns at most this much console log. */
const MAX_CONSOLE_BYTES = 100 * 1024;

/** A guest whose QEMU runs and whose QMP socket this driver holds. */
interface Runtime {
  readonly pid: number;
  readonly qmp: QmpClient;
  /** Set before the driver stops the process itself, so the exit is not reported as the guest's own. */
  expectingExit: boolean;
}

/** QMP `query-status` → nova's power state. */
function powerStateOf(status: string): PowerState {
  switch (status) {
    case 'running':
      return PowerState.RUNNING;
    case 'shutdown':
      return PowerState.SHUTDOWN;
    case 'suspended':
      return PowerState.SUSPENDED;
    case 'guest-panicked':
    case 'internal-error':
    case 'io-error':
      return PowerState.CRASHED;
    default:
      return PowerState.PAUSED;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/**
 * The QEMU hypervisor driver. Each guest has a state directory `<instancesPath>/<uuid>/`
 * (definition, disks, config drive, QMP socket, pid file, console log) and one daemonized QEMU
 * process while it runs; the driver holds one QMP connection per running guest. A new driver
 * on the same directory adopts running guests in init().
 */
export class QemuDriver implements ComputeDriver {
  readonly type = 'qemu';
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
    supportsEvacuate: false,
    supportsResize: true,
    imageFormats: Object.freeze(['qcow2', 'raw'] as const),
  });

  readonly #config: CompiledQemuDriverConfig;
  readonly #log: Logger;
  readonly #disks: DiskImages;
  readonly #taps: TapDevices;
  readonly #locks = new KeyedMutex();
  readonly #runtimes = new Map<string, Runtime>();
  readonly #adopting = new Map<string, Promise<Runtime | null>>();
  readonly #version: { readonly text: string; readonly number: number };
  #accel: Promise<Accel> | undefined;
  #host = '';
  #virtHost: VirtHost | undefined;
  #closed = false;

  protected constructor(config: CompiledQemuDriverConfig, version: { text: string; number: number }) {
    this.#config = config;
    this.#log = config.logger.child({ component: 'virt-qemu' });
    this.#disks = new DiskImages(config.runner, config.qemuImgBinary);
    this.#taps = new TapDevices(config.runner, config.ipBinary);
    this.#version = version;
  }

  /** Check the configuration and that QEMU runs; create `instancesPath`. */
  static async create(config: QemuDriverConfig): Promise<QemuDriver> {
    const compiled = compileQemuDriverConfig(config);
    let text: string;
    try {
      text = (await compiled.runner.run(compiled.qemuBinary, ['--version'], { timeoutMs: 10_000 })).stdout;
    } catch (err) {
      throw new Error(`QEMU (${compiled.qemuBinary}) does not run: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const m = /version (\d+)\.(\d+)\.(\d+)/.exec(text);
    const number = m === null ? 0 : Number(m[1]) * 1_000_000 + Number(m[2]) * 1000 + Number(m[3]);
    await mkdir(compiled.instancesPath, { recursive: true, mode: 0o700 });
    return new QemuDriver(compiled, { text: m === null ? 'unknown' : `${m[1]}.${m[2]}.${m[3]}`, number });
  }

  /** The accelerator guests run with (probed once under `accel: 'auto'`). */
  accel(): Promise<Accel> {
    this.#accel ??= (async (): Promise<Accel> => {
      const configured = this.#config.accel;
      if (configured !== 'auto') {
        this.#log.info({ accel: configured }, 'using the configured accelerator');
        return configured;
      }
      const probe = await probeAccel({ qemuBinary: this.#config.qemuBinary, timeoutMs: this.#config.kvmProbeTimeoutMs });
      if (probe.accel === 'kvm') this.#log.info({ accel: 'kvm' }, 'KVM works: guests run accelerated');
      else this.#log.warn({ accel: 'tcg', reason: probe.reason }, 'KVM is not usable: guests run under TCG (emulation, slower)');
      return probe.accel;
    })();
    return this.#accel;
  }

  async init(host: string, options: InitOptions = {}): Promise<void> {
    this.#host = host;
    this.#virtHost = options.virtHost;
    await this.accel();
    let adopted = 0;
    let stopped = 0;
    for (const uuid of await this.listInstanceUuids()) {
      throwIfAborted(options.signal);
      const rt = await this.#runtime(uuid);
      if (rt !== null) adopted += 1;
      else stopped += 1;
    }
    this.#log.info({ host, adopted, stopped, qemu: this.#version.text }, 'QEMU driver ready');
  }

  // ---- spawn and destroy -------------------------------------------------------------------

  async spawn(request: SpawnRequest, options: OperationOptions = {}): Promise<void> {
    assertSpawnRequest(request);
    const uuid = request.instance.uuid;
    const signal = options.signal;
    await this.#locks.run(uuid, async () => {
      const files = this.#files(uuid);
      try {
        await mkdir(files.dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InstanceExists(uuid);
        throw err;
      }
      const createdTaps: string[] = [];
      let pid: number | null = null;
      try {
        throwIfAborted(signal);
        const def0 = planInstance(request, { machineType: this.#config.machineType }, files, new Date());
        if (request.image !== null) {
          const virtualSize = await this.#disks.checkBaseImage(request.image.path, request.image.format, signal);
          const rootBytes = request.instance.rootGb * GIB;
          if (rootBytes > 0 && rootBytes < virtualSize) {
            throw new ImageUnacceptable(`the flavor's root disk (${request.instance.rootGb} GiB) is smaller than the image (${Math.ceil(virtualSize / MIB)} MiB)`);
          }
          await this.#disks.createOverlay(files.root, request.image.path, request.image.format, rootBytes > 0 ? rootBytes : undefined, signal);
        }
        await this.#checkVolumeSources(def0.disks);
        if (request.instance.ephemeralGb > 0) await this.#disks.createBlank(files.ephemeral, request.instance.ephemeralGb * GIB, signal);
        if (request.instance.swapMb > 0) await this.#disks.createBlank(files.swap, request.instance.swapMb * MIB, signal);
        if (request.configDrive !== undefined) {
          await buildConfigDrive(this.#config.runner, this.#config.isoBuilder, files.configDrive, request.configDrive, request.adminPassword, signal);
        }
        let def = def0;
        for (const nic of def0.nics) {
          if (nic.tapName === null) {
            this.#log.info({ instanceId: uuid, portId: nic.portId }, 'port has no tap: using QEMU user-mode networking');
            continue;
          }
          const created = await this.#taps.ensure(nic.tapName, { bridge: nic.bridge, mtu: nic.mtu }, signal);
          if (created) {
            createdTaps.push(nic.tapName);
            def = { ...def, nics: def.nics.map((n) => (n.id === nic.id ? { ...n, createdTap: true } : n)) };
          }
        }
        throwIfAborted(signal);
        await writeDefinition(files, def);
        const rt = await this.#start(def, files, { incoming: false, signal });
        pid = rt.pid;
        throwIfAborted(signal);
        this.#log.info({ instanceId: uuid, pid, accel: await this.accel() }, 'spawned instance');
        this.#emit(uuid, 'started');
      } catch (err) {
        this.#log.warn({ instanceId: uuid, err: err instanceof Error ? err.message : String(err) }, 'spawn failed, cleaning up');
        await this.#stopProcess(uuid, files, pid);
        for (const tap of createdTaps) await this.#taps.remove(tap).catch(() => undefined);
        await rm(files.dir, { recursive: true, force: true });
        throw this.#wrap('spawn', uuid, err);
      }
    });
  }

  async destroy(uuid: string, options: DestroyOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      const files = this.#files(uuid);
      if (!(await exists(files.dir))) return;
      const def = await readDefinition(files).catch(() => null);
      const wasRunning = await this.#stopProcess(uuid, files, null);
      for (const nic of def?.nics ?? []) {
        if (nic.createdTap && nic.tapName !== null) {
          await this.#taps.remove(nic.tapName).catch((err: unknown) => this.#log.warn({ instanceId: uuid, tap: nic.tapName, err: String(err) }, 'could not remove tap'));
        }
      }
      if (options.destroyDisks ?? true) {
        await rm(files.dir, { recursive: true, force: true });
      } else {
        const keep = new Set([files.root, files.ephemeral, files.swap, files.configDrive].map((p) => p.slice(files.dir.length + 1)));
        for (const f of await readdir(files.dir)) if (!keep.has(f)) await rm(`${files.dir}/${f}`, { recursive: true, force: true });
      }
      this.#log.info({ instanceId: uuid, destroyDisks: options.destroyDisks ?? true }, 'destroyed instance');
      if (wasRunning) this.#emit(uuid, 'stopped');
    });
  }

  // ---- power -------------------------------------------------------------------------------

  async reboot(uuid: string, type: 'soft' | 'hard', options: RebootOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    if (type !== 'soft' && type !== 'hard') throw new InvalidInstanceSpec('type', 'must be soft or hard');
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      if (type === 'soft') {
        const rt = await this.#runtime(uuid);
        const status = rt === null ? 'shutdown' : await this.#status(rt);
        if (rt === null || status !== 'running') throw new InstanceInvalidState(uuid, rt === null ? 'shutdown' : status, 'reboot soft');
        if (await this.#softReboot(uuid, rt, options.timeoutMs ?? this.#config.rebootTimeoutMs, options.signal)) {
          this.#log.info({ instanceId: uuid }, 'soft rebooted instance');
          return;
        }
        this.#log.warn({ instanceId: uuid }, 'guest did not shut down for a soft reboot in time: rebooting hard');
      }
      await this.#stopProcess(uuid, files, null);
      await rm(files.memoryState, { force: true });
      try {
        await this.#start(def, files, { incoming: false, signal: options.signal });
      } catch (err) {
        throw this.#wrap('reboot', uuid, err);
      }
      this.#log.info({ instanceId: uuid }, 'hard rebooted instance');
      this.#emit(uuid, 'started');
    });
  }

  async powerOff(uuid: string, options: PowerOffOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      const { files } = await this.#defined(uuid);
      const rt = await this.#runtime(uuid);
      if (rt === null) {
        await rm(files.memoryState, { force: true });
        return;
      }
      const clean = await this.#shutdown(uuid, rt, files, options.timeoutMs ?? this.#config.shutdownTimeoutMs, options.signal);
      this.#log.info({ instanceId: uuid, clean }, 'powered off instance');
      this.#emit(uuid, 'stopped');
    });
  }


  async powerOn(uuid: string, options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      if ((await this.#runtime(uuid)) !== null) return;
      try {
        if (await exists(files.memoryState)) {
          await this.#restore(uuid, def, files, options.signal);
          this.#emit(uuid, 'resumed');
          return;
        }
        await this.#start(def, files, { incoming: false, signal: options.signal });
      } catch (err) {
        throw this.#wrap('power on', uuid, err);
      }
      this.#log.info({ instanceId: uuid }, 'powered on instance');
      this.#emit(uuid, 'started');
    });
  }

  async pause(uuid: string, _options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      await this.#defined(uuid);
      const rt = await this.#requireRunning(uuid, 'pause');
      const status = await this.#status(rt);
      if (status === 'paused') return;
      if (status !== 'running') throw new InstanceInvalidState(uuid, status, 'pause');
      await rt.qmp.execute('stop');
      this.#emit(uuid, 'paused');
    });
  }

  async unpause(uuid: string, _options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      await this.#defined(uuid);
      const rt = await this.#requireRunning(uuid, 'unpause');
      const status = await this.#status(rt);
      if (status === 'running') return;
      if (status !== 'paused') throw new InstanceInvalidState(uuid, status, 'unpause');
      await rt.qmp.execute('cont');
      this.#emit(uuid, 'resumed');
    });
  }

  async suspend(uuid: string, options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      const { files } = await this.#defined(uuid);
      const rt = await this.#requireRunning(uuid, 'suspend');
      const status = await this.#status(rt);
      if (status !== 'running' && status !== 'paused') throw new InstanceInvalidState(uuid, status, 'suspend');
      try {
        await saveMemoryState(rt.qmp, files, status === 'running', options.signal);
      } catch (err) {
        throw this.#wrap('suspend', uuid, err);
      }
      await this.#stopProcess(uuid, files, null);
      this.#log.info({ instanceId: uuid }, 'suspended instance');
      this.#emit(uuid, 'suspended');
    });
  }

  async resume(uuid: string, options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      if ((await this.#runtime(uuid)) !== null || !(await exists(files.memoryState))) {
        throw new InstanceInvalidState(uuid, powerStateName((await this.#info(uuid, files)).powerState), 'resume');
      }
      try {
        await this.#restore(uuid, def, files, options.signal);
      } catch (err) {
        throw this.#wrap('resume', uuid, err);
      }
      this.#log.info({ instanceId: uuid }, 'resumed instance');
      this.#emit(uuid, 'resumed');
    });
  }

  // ---- state -------------------------------------------------------------------------------

  async getInfo(uuid: string): Promise<InstanceInfo> {
    assertInstanceUuid(uuid);
    const { files } = await this.#defined(uuid);
    return this.#info(uuid, files);
  }

  async listInstanceUuids(): Promise<string[]> {
    const out: string[] = [];
    for (const name of await readdir(this.#config.instancesPath).catch(() => [] as string[])) {
      if (INSTANCE_UUID_RE.test(name) && (await exists(instanceFiles(this.#config.instancesPath, name).definition))) out.push(name);
    }
    return out.sort();
  }

  async getConsoleOutput(uuid: string, options: ConsoleOutputOptions = {}): Promise<string> {
    assertInstanceUuid(uuid);
    const { files } = await this.#defined(uuid);
    if (options.length !== undefined && (!Number.isInteger(options.length) || options.length < 0)) throw new InvalidInstanceSpec('length', 'must be a non-negative integer');
    let text: string;
    try {
      const fh = await open(files.consoleLog, 'r');
      try {
        const size = (await fh.stat()).size;
        const start = Math.max(0, size - MAX_CONSOLE_BYTES);
        const buf = Buffer.alloc(size - start);
        await fh.read(buf, 0, buf.length, start);
        text = buf.toString('utf8');
        if (start > 0) text = text.slice(text.indexOf('\n') + 1);
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
    text = text.replace(/\r\n/g, '\n');
    if (options.length === undefined) return text;
    if (options.length === 0) return '';
    const ended = text.endsWith('\n');
    const lines = (ended ? text.slice(0, -1) : text).split('\n');
    return `${lines.slice(-options.length).join('\n')}${ended ? '\n' : ''}`;
  }

  async getVncConsole(uuid: string): Promise<VncConsole> {
    assertInstanceUuid(uuid);
    await this.#defined(uuid);
    const rt = await this.#requireRunning(uuid, 'get VNC console');
    const vnc = await rt.qmp.execute<{ enabled: boolean; host?: string; service?: string }>('query-vnc');
    if (!vnc.enabled || vnc.service === undefined) throw new InstanceInvalidState(uuid, 'no-display', 'get VNC console');
    return { host: this.#config.vncListen, port: Number(vnc.service) };
  }

  async getDiagnostics(uuid: string): Promise<InstanceDiagnostics> {
    assertInstanceUuid(uuid);
    const { files, def } = await this.#defined(uuid);
    const info = await this.#info(uuid, files);
    let uptimeSeconds: number | null = null;
    if (info.internalId !== null) {
      const st = await stat(files.pidFile).catch(() => null);
      if (st !== null) uptimeSeconds = Math.max(0, Math.round((Date.now() - st.mtimeMs) / 1000));
    }
    return {
      state: powerStateName(info.powerState),
      driver: 'qemu',
      hypervisor: 'qemu',
      uptimeSeconds,
      configDrive: def.disks.some((d) => d.role === 'config-drive'),
      numCpus: def.vcpus,
      memoryMb: def.memoryMb,
      disks: def.disks.map((d) => ({
        role: d.role,
        device: d.device,
        bus: d.bus,
        source: d.source.kind === 'file' ? d.source.path : `nbd://${d.source.host}:${d.source.port}/${d.source.exportName}`,
        readOnly: d.readOnly,
      })),
      nics: def.nics.map((n) => ({ portId: n.portId, mac: n.mac, tapName: n.tapName, model: n.model })),
    };
  }

  async resize(uuid: string, spec: ResizeSpec, options: ResizeOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    assertResizeSpec(spec);
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      const backup = resizeBackupDir(files);
      if (await exists(backup)) throw new InstanceInvalidState(uuid, 'resize-pending', 'resize');
      if (await exists(files.memoryState)) throw new InstanceInvalidState(uuid, 'suspended', 'resize');
      // Every check before anything changes: disks only grow.
      const root = def.disks.find((d) => d.role === 'root');
      const eph = def.disks.find((d) => d.role === 'ephemeral');
      const rootSize = root === undefined ? 0 : (await this.#disks.info(files.root, 'qcow2')).virtualSize;
      const ephSize = eph === undefined ? 0 : (await this.#disks.info(files.ephemeral, 'qcow2')).virtualSize;
      if (root !== undefined && spec.rootGb !== 0 && spec.rootGb * GIB < rootSize) throw new InvalidInstanceSpec('spec.rootGb', `the root disk (${Math.ceil(rootSize / GIB)} GiB) cannot shrink`);
      if (spec.ephemeralGb !== 0 && spec.ephemeralGb * GIB < ephSize) throw new InvalidInstanceSpec('spec.ephemeralGb', 'the ephemeral disk cannot shrink');
      const topology = cpuTopology({ instance: { uuid, name: def.name, vcpus: spec.vcpus, memoryMb: spec.memoryMb, rootGb: spec.rootGb, ephemeralGb: spec.ephemeralGb, swapMb: spec.swapMb, extraSpecs: spec.extraSpecs, imageProperties: {} }, image: null, networkInfo: [], blockDeviceInfo: [] });

      const rt = await this.#runtime(uuid);
      const wasRunning = rt !== null;
      if (rt !== null) {
        await this.#shutdown(uuid, rt, files, options.timeoutMs ?? this.#config.shutdownTimeoutMs, options.signal);
        this.#emit(uuid, 'stopped');
      }
      await mkdir(backup, { mode: 0o700 });
      const kept = [files.definition, files.root, files.ephemeral, files.swap];
      try {
        for (const f of kept) if (await exists(f)) await copyFile(f, join(backup, basename(f)), fsConstants.COPYFILE_FICLONE);
        await writeFile(join(backup, 'resize.json'), JSON.stringify({ wasRunning }));
        let next: InstanceDefinition = { ...def, vcpus: spec.vcpus, memoryMb: spec.memoryMb, topology };
        if (root !== undefined && spec.rootGb * GIB > rootSize) await this.#disks.resize(files.root, 'qcow2', spec.rootGb * GIB, options.signal);
        if (eph !== undefined && spec.ephemeralGb === 0) {
          next = { ...next, disks: next.disks.filter((d) => d.role !== 'ephemeral') };
          await rm(files.ephemeral, { force: true });
        } else if (eph !== undefined && spec.ephemeralGb * GIB > ephSize) {
          await this.#disks.resize(files.ephemeral, 'qcow2', spec.ephemeralGb * GIB, options.signal);
        } else if (eph === undefined && spec.ephemeralGb > 0) {
          await this.#disks.createBlank(files.ephemeral, spec.ephemeralGb * GIB, options.signal);
          next = addOwnDisk(next, 'eph0', 'ephemeral', files.ephemeral);
        }
        next = { ...next, disks: next.disks.filter((d) => d.role !== 'swap') };
        await rm(files.swap, { force: true });
        if (spec.swapMb > 0) {
          await this.#disks.createBlank(files.swap, spec.swapMb * MIB, options.signal);
          next = addOwnDisk(next, 'swap', 'swap', files.swap);
        }
        await writeDefinition(files, next);
      } catch (err) {
        await this.#restoreBackup(files);
        if (wasRunning) await this.#start(def, files, { incoming: false, signal: undefined }).catch(() => undefined);
        throw this.#wrap('resize', uuid, err);
      }
      this.#log.info({ instanceId: uuid, vcpus: spec.vcpus, memoryMb: spec.memoryMb, rootGb: spec.rootGb }, 'resized instance');
      if (options.powerOn ?? true) {
        const next = (await readDefinition(files)) ?? def;
        try {
          await this.#start(next, files, { incoming: false, signal: options.signal });
        } catch (err) {
          throw this.#wrap('resize', uuid, err);
        }
        this.#emit(uuid, 'started');
      }
    });
  }

  async confirmResize(uuid: string): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      const { files } = await this.#defined(uuid);
      await rm(resizeBackupDir(files), { recursive: true, force: true });
    });
  }

  async revertResize(uuid: string, options: ResizeOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    await this.#locks.run(uuid, async () => {
      const { files } = await this.#defined(uuid);
      const backup = resizeBackupDir(files);
      if (!(await exists(backup))) throw new InstanceInvalidState(uuid, 'no-resize-pending', 'revert resize');
      const { wasRunning } = JSON.parse(await readFile(join(backup, 'resize.json'), 'utf8').catch(() => '{}')) as { wasRunning?: boolean };
      if (await this.#stopProcess(uuid, files, null)) this.#emit(uuid, 'stopped');
      await this.#restoreBackup(files);
      const def = await readDefinition(files);
      if (def === null) throw new InstanceNotFound(uuid);
      this.#log.info({ instanceId: uuid }, 'reverted resize');
      if (options.powerOn ?? wasRunning === true) {
        try {
          await this.#start(def, files, { incoming: false, signal: options.signal });
        } catch (err) {
          throw this.#wrap('revert resize', uuid, err);
        }
        this.#emit(uuid, 'started');
      }
    });
  }

  async getAvailableResource(): Promise<AvailableResource> {
    const fs = await statfs(this.#config.instancesPath);
    const totalDisk = fs.blocks * fs.bsize;
    const freeDisk = fs.bavail * fs.bsize;
    let vcpusUsed = 0;
    let memoryMbUsed = 0;
    let promisedGrowth = 0;
    for (const uuid of await this.listInstanceUuids()) {
      const files = this.#files(uuid);
      const def = await readDefinition(files).catch(() => null);
      if (def === null) continue;
      vcpusUsed += def.vcpus;
      memoryMbUsed += def.memoryMb;
      for (const d of def.disks) {
        if (d.source.kind !== 'file' || d.role === 'volume' || d.role === 'config-drive') continue;
        const info = await this.#disks.info(d.source.path, d.source.format).catch(() => null);
        if (info !== null) promisedGrowth += Math.max(0, info.virtualSize - info.actualSize);
      }
    }
    return {
      vcpus: cpus().length,
      memoryMb: Math.floor(totalmem() / MIB),
      localGb: Math.floor(totalDisk / GIB),
      vcpusUsed,
      memoryMbUsed,
      localGbUsed: Math.floor((totalDisk - freeDisk) / GIB),
      hypervisorType: 'QEMU',
      hypervisorVersion: this.#version.number,
      hypervisorHostname: this.#host,
      cpuInfo: await hostCpuInfo(),
      diskAvailableLeast: Math.floor((freeDisk - promisedGrowth) / GIB),
      supportedInstances: [['x86_64', 'qemu', 'hvm']],
    };
  }

  // ---- devices -----------------------------------------------------------------------------

  async attachVolume(uuid: string, volume: BlockDeviceInfo, _options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    assertBlockDevice(volume, 'volume');
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      if (def.disks.some((d) => d.device === volume.mountDevice)) throw new DeviceAlreadyAttached(uuid, volume.mountDevice);
      const rt = await this.#runtime(uuid);
      const bus = volume.diskBus ?? (def.defaultDiskBus === 'scsi' ? 'scsi' : 'virtio');
      if (rt !== null && (bus === 'ide' || bus === 'sata')) throw new InvalidInstanceSpec('volume.diskBus', `${bus} disks cannot be hot-plugged; use virtio or scsi`);
      let next: InstanceDefinition = def;
      if (bus === 'scsi' && def.scsiController === null) next = { ...next, scsiController: allocatePci(next) };
      const disk = volumeDisk(next, { ...volume, bootIndex: rt === null ? volume.bootIndex : null }, bus);
      await this.#checkVolumeSources([disk]);
      next = { ...next, disks: [...next.disks, disk] };
      if (rt !== null) {
        try {
          if (next.scsiController !== null && def.scsiController === null) {
            await rt.qmp.execute('device_add', { driver: 'virtio-scsi-pci', id: 'scsi0', ...next.scsiController });
          }
          await rt.qmp.execute('blockdev-add', blockdevArgs(disk, await this.#blockDevices([disk])));
          try {
            await rt.qmp.execute('device_add', diskDeviceArgs(disk));
          } catch (err) {
            await rt.qmp.execute('blockdev-del', { 'node-name': `drive-${disk.id}` }).catch(() => undefined);
            throw err;
          }
        } catch (err) {
          throw this.#wrap('attach volume', uuid, err);
        }
      }
      await writeDefinition(files, next);
      this.#log.info({ instanceId: uuid, device: volume.mountDevice, live: rt !== null }, 'attached volume');
    });
  }

  async detachVolume(uuid: string, mountDevice: string, options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    assertMountDevice(mountDevice);
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      const disk = def.disks.find((d) => d.role === 'volume' && d.device === mountDevice);
      if (disk === undefined) throw new DeviceNotFound(uuid, mountDevice);
      const rt = await this.#runtime(uuid);
      if (rt !== null) {
        await this.#unplug(uuid, rt, `disk-${disk.id}`, mountDevice, options.signal);
        await rt.qmp.execute('blockdev-del', { 'node-name': `drive-${disk.id}` }).catch((err: unknown) => this.#log.warn({ instanceId: uuid, err: String(err) }, 'blockdev-del failed'));
      }
      await writeDefinition(files, { ...def, disks: def.disks.filter((d) => d !== disk) });
      this.#log.info({ instanceId: uuid, device: mountDevice, live: rt !== null }, 'detached volume');
    });
  }

  async attachInterface(uuid: string, vif: VifInfo, options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    assertVif(vif, 'vif');
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      if (def.nics.some((n) => n.portId === vif.portId)) throw new DeviceAlreadyAttached(uuid, vif.portId);
      if (def.nics.some((n) => n.mac === vif.mac)) throw new InvalidInstanceSpec('vif.mac', 'is already used by another port of the guest');
      const rt = await this.#runtime(uuid);
      let created = false;
      if (vif.tapName !== undefined && rt !== null) created = await this.#taps.ensure(vif.tapName, { bridge: vif.bridge ?? null, mtu: vif.mtu ?? null }, options.signal);
      const nic = nicFor(def, vif, def.vifModel, created);
      if (rt !== null) {
        try {
          await rt.qmp.execute('netdev_add', netdevArgs(nic, this.#config.userNetworkRestrict));
          try {
            await rt.qmp.execute('device_add', nicDeviceArgs(nic));
          } catch (err) {
            await rt.qmp.execute('netdev_del', { id: `net-${nic.id}` }).catch(() => undefined);
            throw err;
          }
        } catch (err) {
          if (created && nic.tapName !== null) await this.#taps.remove(nic.tapName).catch(() => undefined);
          throw this.#wrap('attach interface', uuid, err);
        }
      }
      await writeDefinition(files, { ...def, nics: [...def.nics, nic] });
      this.#log.info({ instanceId: uuid, portId: vif.portId, live: rt !== null }, 'attached interface');
    });
  }

  async detachInterface(uuid: string, portId: string, options: OperationOptions = {}): Promise<void> {
    assertInstanceUuid(uuid);
    assertInstanceUuid(portId, 'portId');
    await this.#locks.run(uuid, async () => {
      const { files, def } = await this.#defined(uuid);
      const nic = def.nics.find((n) => n.portId === portId);
      if (nic === undefined) throw new DeviceNotFound(uuid, portId);
      const rt = await this.#runtime(uuid);
      if (rt !== null) {
        await this.#unplug(uuid, rt, `nic-${nic.id}`, portId, options.signal);
        await rt.qmp.execute('netdev_del', { id: `net-${nic.id}` }).catch((err: unknown) => this.#log.warn({ instanceId: uuid, err: String(err) }, 'netdev_del failed'));
      }
      if (nic.createdTap && nic.tapName !== null) await this.#taps.remove(nic.tapName).catch(() => undefined);
      await writeDefinition(files, { ...def, nics: def.nics.filter((n) => n !== nic) });
      this.#log.info({ instanceId: uuid, portId, live: rt !== null }, 'detached interface');
    });
  }

  async snapshot(uuid: string, targetPath: string, options: SnapshotOptions = {}): Promise<SnapshotResult> {
    assertInstanceUuid(uuid);
    assertSafePath(targetPath, 'targetPath');
    const format = options.format ?? 'qcow2';
    if (format !== 'qcow2' && format !== 'raw') throw new InvalidInstanceSpec('format', 'must be qcow2 or raw');
    return this.#locks.run(uuid, async () => {
      const { def } = await this.#defined(uuid);
      const root = def.disks.find((d) => d.role === 'root');
      if (root === undefined || root.source.kind !== 'file') throw new InstanceInvalidState(uuid, 'booted-from-volume', 'snapshot');
      if (await exists(targetPath)) throw new InvalidInstanceSpec('targetPath', 'already exists');
      const rt = await this.#runtime(uuid);
      const wasRunning = rt !== null && (await this.#status(rt)) === 'running';
      try {
        // NOTE: `stop` drains and flushes every disk, so the overlay is consistent while paused.
        if (wasRunning) await rt.qmp.execute('stop');
        await this.#disks.convert(root.source.path, 'qcow2', targetPath, format, options.signal);
      } catch (err) {
        await rm(targetPath, { force: true });
        throw this.#wrap('snapshot', uuid, err);
      } finally {
        if (wasRunning) await rt.qmp.execute('cont').catch((err: unknown) => this.#log.error({ instanceId: uuid, err: String(err) }, 'could not resume the guest after a snapshot'));
      }
      const info = await this.#disks.info(targetPath, format);
      const size = (await stat(targetPath)).size;
      this.#log.info({ instanceId: uuid, format, size }, 'snapshot taken');
      return { path: targetPath, format, size, virtualSize: info.virtualSize };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const rts = [...this.#runtimes.values()];
    this.#runtimes.clear();
    for (const rt of rts) {
      rt.expectingExit = true;
      await rt.qmp.close();
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  #files(uuid: string): InstanceFiles {
    return instanceFiles(this.#config.instancesPath, uuid);
  }

  async #defined(uuid: string): Promise<{ files: InstanceFiles; def: InstanceDefinition }> {
    const files = this.#files(uuid);
    const def = await readDefinition(files);
    if (def === null) throw new InstanceNotFound(uuid);
    return { files, def };
  }

  #emit(uuid: string, transition: LifecycleTransition): void {
    try {
      this.#virtHost?.lifecycleEvent({ uuid, transition, at: new Date().toISOString() });
    } catch (err) {
      this.#log.warn({ instanceId: uuid, err: String(err) }, 'lifecycle event handler threw');
    }
  }

  #wrap(operation: string, uuid: string, err: unknown): Error {
    if (isAbort(err) || isOpenStackError(err)) return err as Error;
    const message = err instanceof CommandFailed ? err.message : err instanceof Error ? err.message : String(err);
    return new HypervisorError(operation, message, { instanceId: uuid }, { cause: err });
  }

  async #info(uuid: string, files: InstanceFiles): Promise<InstanceInfo> {
    // NOTE: while an operation holds the guest's lock (spawn starting QEMU, say), adopting its
    // QMP socket here would take the one connection QEMU serves from under that operation.
    const rt = await this.#runtime(uuid, !this.#locks.isBusy(uuid));
    if (rt !== null) {
      const status = await this.#status(rt).catch(() => null);
      if (status !== null) return { powerState: powerStateOf(status), internalId: String(rt.pid) };
    }
    // A guest busy in another operation is not adopted here; its process tells enough.
    const pid = await readPidFile(files.pidFile);
    if (pid !== null && (await isGuestProcess(pid, uuid))) return { powerState: PowerState.RUNNING, internalId: String(pid) };
    return { powerState: (await exists(files.memoryState)) ? PowerState.SUSPENDED : PowerState.SHUTDOWN, internalId: null };
  }

  async #status(rt: Runtime): Promise<string> {
    const s = await rt.qmp.execute<{ status: string }>('query-status', undefined, { timeoutMs: 10_000 });
    return s.status;
  }

  async #requireRunning(uuid: string, action: string): Promise<Runtime> {
    const rt = await this.#runtime(uuid);
    if (rt === null) throw new InstanceInvalidState(uuid, powerStateName((await this.#info(uuid, this.#files(uuid))).powerState), action);
    return rt;
  }

  /**
   * The runtime of a running guest: the one this driver holds, or an adopted one (pid file +
   * QMP) when the process runs but no operation on it is in progress elsewhere. Null when no
   * guest process runs.
   */
  async #runtime(uuid: string, adopt = true): Promise<Runtime | null> {
    const known = this.#runtimes.get(uuid);
    if (known !== undefined && !known.qmp.closed) return known;
    if (!adopt) return null;
    const pending = this.#adopting.get(uuid);
    if (pending !== undefined) return pending;
    const adoption = (async (): Promise<Runtime | null> => {
      const files = this.#files(uuid);
      const pid = await readPidFile(files.pidFile);
      if (pid === null || !(await isGuestProcess(pid, uuid))) return null;
      try {
        const qmp = await QmpClient.connect(files.qmpSocket, { timeoutMs: 5000 });
        this.#log.info({ instanceId: uuid, pid }, 'adopted running guest');
        return this.#attach(uuid, pid, qmp);
      } catch (err) {
        this.#log.warn({ instanceId: uuid, pid, err: String(err) }, 'guest process runs but its QMP socket does not answer');
        return null;
      }
    })();
    this.#adopting.set(uuid, adoption);
    try {
      return await adoption;
    } finally {
      this.#adopting.delete(uuid);
    }
  }

  #attach(uuid: string, pid: number, qmp: QmpClient): Runtime {
    const rt: Runtime = { pid, qmp, expectingExit: false };
    this.#runtimes.set(uuid, rt);
    qmp.on('event', (ev) => {
      if (ev.event === 'SHUTDOWN' && ev.data.guest === true && !rt.expectingExit) this.#log.info({ instanceId: uuid }, 'guest shut itself down');
      if (ev.event === 'GUEST_PANICKED') {
        this.#log.warn({ instanceId: uuid }, 'guest panicked');
        this.#emit(uuid, 'crashed');
      }
    });
    qmp.once('close', () => {
      if (this.#runtimes.get(uuid) === rt) this.#runtimes.delete(uuid);
      if (!rt.expectingExit && !this.#closed) {
        this.#log.info({ instanceId: uuid, pid }, 'guest process ended');
        this.#emit(uuid, 'stopped');
      }
    });
    return rt;
  }

  async #blockDevices(disks: readonly DiskDef[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const d of disks) {
      if (d.source.kind !== 'file') continue;
      const st = await stat(d.source.path).catch(() => null);
      if (st?.isBlockDevice() === true) out.add(d.source.path);
    }
    return out;
  }

  async #checkVolumeSources(disks: readonly DiskDef[]): Promise<void> {
    for (const d of disks) {
      if (d.role !== 'volume' || d.source.kind !== 'file') continue;
      const st = await stat(d.source.path).catch(() => null);
      if (st === null || (!st.isFile() && !st.isBlockDevice())) throw new InvalidInstanceSpec(`volume ${d.device}`, `${d.source.path} is not a file or block device`);
    }
  }

  /** Launch QEMU for `def` and connect QMP. On failure nothing of the process is left. */
  async #start(def: InstanceDefinition, files: InstanceFiles, options: { incoming: boolean; signal: AbortSignal | undefined }): Promise<Runtime> {
    const accel = await this.accel();
    await rm(files.qmpSocket, { force: true });
    await rm(files.pidFile, { force: true });
    let current = def;
    for (const nic of def.nics) {
      if (nic.tapName === null) continue;
      const created = await this.#taps.ensure(nic.tapName, { bridge: nic.bridge, mtu: nic.mtu }, options.signal);
      if (created && !nic.createdTap) current = { ...current, nics: current.nics.map((n) => (n.id === nic.id ? { ...n, createdTap: true } : n)) };
    }
    if (current !== def) await writeDefinition(files, current);
    const args = buildQemuArgs(current, {
      accel,
      cpuModel: this.#config.cpuModel ?? (accel === 'kvm' ? 'host' : 'qemu64'),
      qmpSocket: files.qmpSocket,
      pidFile: files.pidFile,
      consoleLog: files.consoleLog,
      vnc: { listen: this.#config.vncListen, first: this.#config.vncDisplays.first, last: this.#config.vncDisplays.last },
      userNetworkRestrict: this.#config.userNetworkRestrict,
      blockDevices: await this.#blockDevices(current.disks),
      incoming: options.incoming,
    });
    this.#log.debug({ instanceId: def.uuid, args }, 'starting QEMU');
    const pid = await startDaemonized(this.#config.runner, this.#config.qemuBinary, args, files.pidFile, options.signal);
    try {
      const qmp = await QmpClient.connect(files.qmpSocket, { timeoutMs: 10_000, signal: options.signal });
      return this.#attach(def.uuid, pid, qmp);
    } catch (err) {
      await killGuestProcess(pid, def.uuid);
      throw err;
    }
  }

  /**
   * End the guest's process (QMP quit, then SIGKILL) and remove its socket and pid file.
   * Resolves true when a process was running. `pid` covers a process not yet attached.
   */
  async #stopProcess(uuid: string, files: InstanceFiles, pid: number | null): Promise<boolean> {
    const rt = this.#runtimes.get(uuid) ?? (await this.#runtime(uuid));
    const pids = new Set<number>();
    if (pid !== null) pids.add(pid);
    const filePid = await readPidFile(files.pidFile);
    if (filePid !== null) pids.add(filePid);
    let running = false;
    if (rt !== null) {
      running = true;
      pids.add(rt.pid);
      rt.expectingExit = true;
      if (!rt.qmp.closed) await rt.qmp.execute('quit', undefined, { timeoutMs: 5000 }).catch(() => undefined);
      if (!(await waitForExit(rt.pid, uuid, 5000))) await killGuestProcess(rt.pid, uuid);
      await rt.qmp.close();
      this.#runtimes.delete(uuid);
    }
    for (const p of pids) {
      if (await isGuestProcess(p, uuid)) {
        running = true;
        await killGuestProcess(p, uuid);
      }
    }
    await rm(files.qmpSocket, { force: true });
    await rm(files.pidFile, { force: true });
    await rm(files.migrateSocket, { force: true });
    return running;
  }

  /** Put the pre-resize definition and disks back and drop the backup; disks the resize added go. */
  async #restoreBackup(files: InstanceFiles): Promise<void> {
    const backup = resizeBackupDir(files);
    for (const f of [files.definition, files.root, files.ephemeral, files.swap]) {
      const saved = join(backup, basename(f));
      if (await exists(saved)) await rename(saved, f);
      else if (f !== files.definition) await rm(f, { force: true });
    }
    await rm(backup, { recursive: true, force: true });
  }

  /**
   * Power the guest off: ACPI power button and up to `timeoutMs` for it to go (0: no wait), then
   * forced. Resolves true when the guest shut down by itself.
   */
  async #shutdown(uuid: string, rt: Runtime, files: InstanceFiles, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    let clean = false;
    if (timeoutMs > 0 && (await this.#status(rt)) === 'running') {
      rt.expectingExit = true;
      const gone = new Promise<void>((resolve) => rt.qmp.once('close', () => resolve()));
      await rt.qmp.execute('system_powerdown').catch(() => undefined);
      clean = await withTimeout(gone.then(() => true), timeoutMs, false, signal).catch(() => false);
      if (clean) clean = await waitForExit(rt.pid, uuid, 10_000);
    }
    if (!clean) this.#log.info({ instanceId: uuid, timeoutMs }, 'forcing the guest off');
    await this.#stopProcess(uuid, files, null);
    return clean;
  }

  /** ACPI power button with QEMU told to pause instead of exit; then reset and run. False on timeout. */
  async #softReboot(uuid: string, rt: Runtime, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    await rt.qmp.execute('set-action', { shutdown: 'pause' });
    try {
      const down = rt.qmp.waitForEvent('SHUTDOWN', () => true, { timeoutMs, ...(signal !== undefined ? { signal } : {}) });
      await rt.qmp.execute('system_powerdown');
      try {
        await down;
      } catch (err) {
        if (isAbort(err)) throw err;
        return false;
      }
      await rt.qmp.execute('system_reset');
      await rt.qmp.execute('cont');
      this.#log.debug({ instanceId: uuid }, 'guest shut down and was reset');
      return true;
    } finally {
      if (!rt.qmp.closed) await rt.qmp.execute('set-action', { shutdown: 'poweroff' }).catch(() => undefined);
    }
  }

  /** Wait for the guest to release a hot-plugged device after `device_del`. */
  async #unplug(uuid: string, rt: Runtime, id: string, what: string, signal: AbortSignal | undefined): Promise<void> {
    const deleted = rt.qmp.waitForEvent('DEVICE_DELETED', (ev) => ev.data.device === id, { timeoutMs: this.#config.deviceDetachTimeoutMs, ...(signal !== undefined ? { signal } : {}) });
    deleted.catch(() => undefined);
    try {
      await rt.qmp.execute('device_del', { id });
    } catch (err) {
      throw new DeviceDetachFailed(uuid, what, err instanceof Error ? err.message : String(err));
    }
    try {
      await deleted;
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new DeviceDetachFailed(uuid, what, `the guest did not release it within ${this.#config.deviceDetachTimeoutMs} ms`);
    }
  }

  /** Start QEMU waiting for a migration stream, feed it `memory.state`, then let the guest run. */
  async #restore(uuid: string, def: InstanceDefinition, files: InstanceFiles, signal: AbortSignal | undefined): Promise<void> {
    const rt = await this.#start(def, files, { incoming: true, signal });
    try {
      await loadMemoryState(rt.qmp, files, signal);
    } catch (err) {
      await this.#stopProcess(uuid, files, rt.pid);
      throw err;
    }
  }
}
