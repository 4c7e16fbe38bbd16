/**
 * Adapts a ComputeDriver from packages/drivers/virt-* (the shared driver contract) to the narrow
 * Hypervisor nova-compute uses: plain data in, no objects or DB (Nova N307). It turns nova's
 * view of a guest (GuestSpec: ports with their neutron binding, cinder connection info, image
 * properties, metadata) into the driver's SpawnRequest, including the config drive's content.
 */
import { PowerState, type BlockDeviceInfo, type ComputeDriver, type ConfigDriveData, type ConnectionInfo, type LifecycleEvent, type VifInfo, type VirtHost } from '@strata/virt';
import type { Logger } from '@strata/log';
import { configDriveData, metadataSourceFromGuestSpec } from '../metadata/instance-metadata.js';
import type { GuestSpec, HostResources, Hypervisor, HypervisorCapabilities, ResizeFlavor, VncAddress } from './hypervisor.js';

/** cinder's connection_info ({driver_volume_type, data}) → the driver's ConnectionInfo. */
export function connectionOf(c: Readonly<Record<string, unknown>>): ConnectionInfo {
  const type = String(c.driver_volume_type ?? c.driverVolumeType ?? 'file');
  const data = (c.data ?? c) as Record<string, unknown>;
  if (type === 'nbd') return { driverVolumeType: 'nbd', host: String(data.host ?? '127.0.0.1'), port: Number(data.port ?? 10809), exportName: String(data.export_name ?? data.exportName ?? data.name ?? '') };
  const format = data.format === 'qcow2' || data.format === 'raw' ? data.format : undefined;
  return { driverVolumeType: 'file', path: String(data.path ?? data.device_path ?? ''), ...(format !== undefined ? { format } : {}) };
}

/** A volume as the driver takes it; a negative boot_index (nova's "not bootable") becomes null. */
export function blockDevice(v: GuestSpec['volumes'][number]): BlockDeviceInfo {
  const bootIndex = v.bootIndex !== null && v.bootIndex >= 0 ? v.bootIndex : null;
  return { volumeId: v.volumeId, connectionInfo: connectionOf(v.connection), mountDevice: v.device, bootIndex };
}

/** Linux interface names: at most 15 characters of [A-Za-z0-9_.-]. */
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

function detail(details: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = details[key];
  return typeof v === 'string' && IFNAME_RE.test(v) ? v : undefined;
}

/**
 * A port as the driver takes it. Bound by the linuxbridge backend (`binding:vif_type` bridge):
 * a tap named as that backend expects (`tap` + the first 11 characters of the port id) on the
 * network's bridge (`bridge_name` of the vif details, else `brq` + the first 11 characters of
 * the network id), with the network's MTU. Otherwise (noop backend, unbound) no tap: the driver
 * falls back to its user-mode networking and says so in its log.
 */
export function vifOf(p: GuestSpec['ports'][number]): VifInfo {
  const ips = p.ips.map((a) => ({ address: a, version: a.includes(':') ? (6 as const) : (4 as const) }));
  const base = { portId: p.portId, mac: p.macAddress, ips };
  const b = p.binding;
  if (b === undefined || b.vifType !== 'bridge') return base;
  const tapName = detail(b.vifDetails, 'tap_name') ?? `tap${p.portId.slice(0, 11)}`;
  const bridge = detail(b.vifDetails, 'bridge_name') ?? `brq${p.networkId.slice(0, 11)}`;
  const mtu = typeof b.vifDetails.mtu === 'number' ? b.vifDetails.mtu : b.mtu;
  return { ...base, tapName, bridge, ...(mtu !== undefined && Number.isInteger(mtu) && mtu >= 68 ? { mtu } : {}) };
}

/** Image properties the driver reads are strings; other values are dropped. */
function stringProps(props: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props ?? {})) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/**
 * The config drive's content for a guest (meta_data.json with uuid, hostname, name, keys and
 * metadata; user data; network_data.json), built by nova's metadata code.
 */
export function configDriveFor(spec: GuestSpec): ConfigDriveData {
  const src = metadataSourceFromGuestSpec(spec, {
    hostname: spec.name,
    ...(spec.displayName !== undefined ? { name: spec.displayName } : {}),
    ...(spec.projectId !== undefined ? { projectId: spec.projectId } : {}),
    ...(spec.availabilityZone !== undefined ? { availabilityZone: spec.availabilityZone } : {}),
    ...(spec.keyName !== undefined ? { keyName: spec.keyName } : {}),
    ...(spec.flavorName !== undefined ? { flavorName: spec.flavorName } : {}),
  });
  return configDriveData(src);
}

/** Options of DriverHypervisor. */
export interface DriverHypervisorOptions {
  /**
   * Give every guest a config drive (nova's `force_config_drive`), not only those whose request
   * asked for one: guests on QEMU user networking cannot reach the metadata service. @default false
   */
  readonly forceConfigDrive?: boolean;
  readonly logger?: Logger;
}

/** A Hypervisor over any ComputeDriver. */
export class DriverHypervisor implements Hypervisor {
  readonly capabilities: HypervisorCapabilities;
  readonly #driver: ComputeDriver;
  readonly #options: DriverHypervisorOptions;
  readonly #listeners = new Set<(instanceId: string) => void>();
  /** What the driver reports lifecycle events to (pass to `driver.init`). */
  readonly virtHost: VirtHost = {
    lifecycleEvent: (event: LifecycleEvent): void => {
      for (const l of this.#listeners) {
        try {
          l(event.uuid);
        } catch (err) {
          this.#options.logger?.warn({ err, instanceId: event.uuid }, 'power change listener threw');
        }
      }
    },
  };

  constructor(driver: ComputeDriver, options: DriverHypervisorOptions = {}) {
    this.#driver = driver;
    this.#options = options;
    const c = driver.capabilities;
    this.capabilities = Object.freeze({ supportsPause: c.supportsPause, supportsSuspend: c.supportsSuspend, supportsSnapshot: c.supportsSnapshot, supportsAttachVolume: c.supportsHotplugVolume, supportsAttachInterface: c.supportsAttachInterface });
    if (!c.supportsVncConsole) this.vncConsole = undefined;
    if (!c.supportsResize || driver.resize === undefined) {
      this.resize = undefined;
      this.confirmResize = undefined;
      this.revertResize = undefined;
    }
  }

  /** The driver's type (`fake`, `qemu`). */
  get driverType(): string {
    return this.#driver.type;
  }

  async resources(): Promise<HostResources> {
    const r = await this.#driver.getAvailableResource();
    return { vcpus: r.vcpus, memoryMb: r.memoryMb, localGb: r.localGb, hypervisorType: r.hypervisorType, hypervisorVersion: r.hypervisorVersion, cpuInfo: { ...r.cpuInfo } };
  }

  async spawn(spec: GuestSpec, signal?: AbortSignal): Promise<void> {
    const wantDrive = (spec.configDrive === true || this.#options.forceConfigDrive === true) && this.#driver.capabilities.supportsConfigDrive;
    await this.#driver.spawn(
      {
        instance: { uuid: spec.instanceId, name: spec.name, vcpus: spec.vcpus, memoryMb: spec.memoryMb, rootGb: spec.rootGb, ephemeralGb: spec.ephemeralGb, swapMb: spec.swapMb, extraSpecs: spec.extraSpecs, imageProperties: stringProps(spec.imageProperties) },
        image: spec.imagePath === null ? null : { path: spec.imagePath, format: spec.imageFormat },
        networkInfo: spec.ports.map(vifOf),
        blockDeviceInfo: spec.volumes.map(blockDevice),
        ...(wantDrive ? { configDrive: configDriveFor(spec) } : {}),
      },
      signal !== undefined ? { signal } : {},
    );
  }

  destroy(id: string): Promise<void> {
    return this.#driver.destroy(id);
  }
  powerOff(id: string): Promise<void> {
    return this.#driver.powerOff(id);
  }
  powerOn(id: string): Promise<void> {
    return this.#driver.powerOn(id);
  }
  reboot(id: string, type: 'SOFT' | 'HARD'): Promise<void> {
    return this.#driver.reboot(id, type === 'SOFT' ? 'soft' : 'hard');
  }
  pause(id: string): Promise<void> {
    return this.#driver.pause(id);
  }
  unpause(id: string): Promise<void> {
    return this.#driver.unpause(id);
  }
  suspend(id: string): Promise<void> {
    return this.#driver.suspend(id);
  }
  resume(id: string): Promise<void> {
    return this.#driver.resume(id);
  }
  consoleOutput(id: string): Promise<string> {
    return this.#driver.getConsoleOutput(id);
  }
  attachVolume(id: string, v: GuestSpec['volumes'][number]): Promise<void> {
    return this.#driver.attachVolume(id, blockDevice(v));
  }
  detachVolume(id: string, _volumeId: string, device: string): Promise<void> {
    return this.#driver.detachVolume(id, device);
  }
  attachInterface(id: string, p: GuestSpec['ports'][number]): Promise<void> {
    return this.#driver.attachInterface(id, vifOf(p));
  }
  detachInterface(id: string, portId: string): Promise<void> {
    return this.#driver.detachInterface(id, portId);
  }

  vncConsole?: (id: string) => Promise<VncAddress> = async (id) => {
    const c = await this.#driver.getVncConsole(id);
    return { host: c.host, port: c.port };
  };

  async snapshot(id: string, targetPath: string, format: 'qcow2' | 'raw'): Promise<{ readonly size: number }> {
    const r = await this.#driver.snapshot(id, targetPath, { format });
    return { size: r.size };
  }

  resize?: (id: string, flavor: ResizeFlavor, powerOn: boolean) => Promise<void> = (id, flavor, powerOn) => {
    return (this.#driver.resize as NonNullable<ComputeDriver['resize']>).call(this.#driver, id, { ...flavor }, { powerOn });
  };
  confirmResize?: (id: string) => Promise<void> = (id) => (this.#driver.confirmResize as NonNullable<ComputeDriver['confirmResize']>).call(this.#driver, id);
  revertResize?: (id: string) => Promise<void> = (id) => (this.#driver.revertResize as NonNullable<ComputeDriver['revertResize']>).call(this.#driver, id);

  async powerState(id: string): Promise<number> {
    try {
      return (await this.#driver.getInfo(id)).powerState;
    } catch (err) {
      if ((err as { code?: string }).code === 'InstanceNotFound') return PowerState.NOSTATE;
      throw err;
    }
  }

  guests(): Promise<string[]> {
    return this.#driver.listInstanceUuids();
  }

  onPowerChange(listener: (instanceId: string) => void): void {
    this.#listeners.add(listener);
  }

  /** The hypervisor's own handle of a guest (the QEMU pid), or null when nothing runs. */
  async internalId(id: string): Promise<string | null> {
    return (await this.#driver.getInfo(id)).internalId;
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return this.#driver.close();
  }
}

/**
 * Load the driver package for `kind` (`@strata/virt-fake` or `@strata/virt-qemu`), create it with
 * `config` and initialise it for `host` (adopting guests a previous process left running);
 * undefined when the package is not built yet (its index exports no driver class).
 */
export async function loadDriverHypervisor(kind: 'fake' | 'qemu', host: string, config: Record<string, unknown>, options: DriverHypervisorOptions = {}): Promise<DriverHypervisor | undefined> {
  const specifier = kind === 'fake' ? '@strata/virt-fake' : '@strata/virt-qemu';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const cls = (kind === 'fake' ? mod.FakeDriver : mod.QemuDriver) as { create?: (c: unknown) => Promise<ComputeDriver> } | (new (c: unknown) => ComputeDriver) | undefined;
  if (cls === undefined) return undefined;
  const driver = typeof (cls as { create?: unknown }).create === 'function' ? await (cls as { create: (c: unknown) => Promise<ComputeDriver> }).create(config) : new (cls as new (c: unknown) => ComputeDriver)(config);
  const hv = new DriverHypervisor(driver, options);
  await driver.init(host, { virtHost: hv.virtHost });
  return hv;
}
