/**
 * Adapts a ComputeDriver from packages/drivers/virt-* (the shared driver contract) to the narrow
 * Hypervisor nova-compute uses: plain data in, no objects or DB (Nova N307).
 */
import type { BlockDeviceInfo, ComputeDriver, ConnectionInfo } from '@strata/virt';
import type { GuestSpec, HostResources, Hypervisor, HypervisorCapabilities } from './hypervisor.js';

/** cinder's connection_info ({driver_volume_type, data}) → the driver's ConnectionInfo. */
export function connectionOf(c: Readonly<Record<string, unknown>>): ConnectionInfo {
  const type = String(c.driver_volume_type ?? c.driverVolumeType ?? 'file');
  const data = (c.data ?? c) as Record<string, unknown>;
  if (type === 'nbd') return { driverVolumeType: 'nbd', host: String(data.host ?? '127.0.0.1'), port: Number(data.port ?? 10809), exportName: String(data.export_name ?? data.exportName ?? data.name ?? '') };
  const format = data.format === 'qcow2' || data.format === 'raw' ? data.format : undefined;
  return { driverVolumeType: 'file', path: String(data.path ?? data.device_path ?? ''), ...(format !== undefined ? { format } : {}) };
}

function blockDevice(v: GuestSpec['volumes'][number]): BlockDeviceInfo {
  return { volumeId: v.volumeId, connectionInfo: connectionOf(v.connection), mountDevice: v.device, bootIndex: v.bootIndex };
}

/** A Hypervisor over any ComputeDriver. */
export class DriverHypervisor implements Hypervisor {
  readonly capabilities: HypervisorCapabilities;
  readonly #driver: ComputeDriver;

  constructor(driver: ComputeDriver) {
    this.#driver = driver;
    const c = driver.capabilities;
    this.capabilities = Object.freeze({ supportsPause: c.supportsPause, supportsSuspend: c.supportsSuspend, supportsSnapshot: c.supportsSnapshot, supportsAttachVolume: c.supportsHotplugVolume, supportsAttachInterface: c.supportsAttachInterface });
  }

  async resources(): Promise<HostResources> {
    const r = await this.#driver.getAvailableResource();
    return { vcpus: r.vcpus, memoryMb: r.memoryMb, localGb: r.localGb, hypervisorType: r.hypervisorType, hypervisorVersion: r.hypervisorVersion, cpuInfo: { ...r.cpuInfo } };
  }

  async spawn(spec: GuestSpec, signal?: AbortSignal): Promise<void> {
    await this.#driver.spawn(
      {
        instance: { uuid: spec.instanceId, name: spec.name, vcpus: spec.vcpus, memoryMb: spec.memoryMb, rootGb: spec.rootGb, ephemeralGb: spec.ephemeralGb, swapMb: spec.swapMb, extraSpecs: spec.extraSpecs, imageProperties: {} },
        image: spec.imagePath === null ? null : { path: spec.imagePath, format: spec.imageFormat },
        networkInfo: spec.ports.map((p) => ({ portId: p.portId, mac: p.macAddress, ips: p.ips.map((a) => ({ address: a, version: a.includes(':') ? (6 as const) : (4 as const) })) })),
        blockDeviceInfo: spec.volumes.map(blockDevice),
        ...(spec.userData !== null || spec.keyData !== null
          ? { configDrive: { metaData: { uuid: spec.instanceId, name: spec.name, meta: { ...spec.metadata }, ...(spec.keyData !== null ? { public_keys: { key: spec.keyData } } : {}) }, ...(spec.userData !== null ? { userData: spec.userData } : {}) } }
          : {}),
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
    return this.#driver.attachInterface(id, { portId: p.portId, mac: p.macAddress, ips: p.ips.map((a) => ({ address: a, version: a.includes(':') ? (6 as const) : (4 as const) })) });
  }
  detachInterface(id: string, portId: string): Promise<void> {
    return this.#driver.detachInterface(id, portId);
  }
  close(): Promise<void> {
    return this.#driver.close();
  }
}

/**
 * Load the driver package for `kind` (`@strata/virt-fake` or `@strata/virt-qemu`) and initialise it
 * for `host`; undefined when the package is not built yet (its index exports no driver class).
 */
export async function loadDriverHypervisor(kind: 'fake' | 'qemu', host: string, config: Record<string, unknown>): Promise<Hypervisor | undefined> {
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
  await driver.init(host);
  return new DriverHypervisor(driver);
}
