/** A hypervisor that keeps guests in memory: instant, with configurable resources (the `fake` driver of this package). */
import type { GuestSpec, HostResources, Hypervisor, HypervisorCapabilities } from './hypervisor.js';

interface Guest {
  spec: GuestSpec;
  power: 'running' | 'shutdown' | 'paused' | 'suspended';
  log: string[];
  volumes: Set<string>;
  ports: Set<string>;
}

/** Options of the in-memory hypervisor. */
export interface InMemoryHypervisorOptions {
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly localGb: number;
  /** Make spawn fail for guests whose name matches (for failure tests). */
  readonly failSpawnFor?: RegExp;
}

/** Guests are records in a Map; spawn and power changes are instant. */
export class InMemoryHypervisor implements Hypervisor {
  readonly capabilities: HypervisorCapabilities = Object.freeze({ supportsPause: true, supportsSuspend: true, supportsSnapshot: true, supportsAttachVolume: true, supportsAttachInterface: true });
  readonly #guests = new Map<string, Guest>();
  readonly #options: InMemoryHypervisorOptions;

  constructor(options: InMemoryHypervisorOptions) {
    this.#options = Object.freeze({ ...options });
  }

  async resources(): Promise<HostResources> {
    return { vcpus: this.#options.vcpus, memoryMb: this.#options.memoryMb, localGb: this.#options.localGb, hypervisorType: 'fake', hypervisorVersion: 1000, cpuInfo: { arch: 'x86_64', model: 'fake', vendor: 'strata', topology: { sockets: 1, cores: this.#options.vcpus, threads: 1 }, features: [] } };
  }

  async spawn(spec: GuestSpec): Promise<void> {
    if (this.#options.failSpawnFor?.test(spec.name) === true) throw new Error(`fake hypervisor refused to spawn ${spec.name}`);
    const now = new Date().toISOString();
    this.#guests.set(spec.instanceId, {
      spec,
      power: 'running',
      log: [
        `[${now}] fake guest ${spec.name} (${spec.vcpus} vCPU, ${spec.memoryMb} MB) booting`,
        `[${now}] BIOS: strata fake firmware`,
        `[${now}] kernel: Linux version 6.1.0-fake`,
        `[${now}] kernel: Memory: ${spec.memoryMb * 1024}K available`,
        `[${now}] kernel: virtio_net: ${spec.ports.length} interface(s)`,
        `[${now}] kernel: virtio_blk: ${spec.volumes.length + 1} disk(s)`,
        `[${now}] cloud-init: datasource found`,
        `[${now}] cloud-init: ${spec.keyData !== null ? 'injected ssh key' : 'no ssh key'}`,
        `[${now}] systemd: reached target multi-user`,
        `${spec.name} login: `,
      ],
      volumes: new Set(spec.volumes.map((v) => v.volumeId)),
      ports: new Set(spec.ports.map((p) => p.portId)),
    });
  }

  async destroy(instanceId: string): Promise<void> {
    this.#guests.delete(instanceId);
  }

  #guest(instanceId: string): Guest {
    const g = this.#guests.get(instanceId);
    if (g === undefined) throw new Error(`no guest ${instanceId} on this host`);
    return g;
  }

  #set(instanceId: string, power: Guest['power'], line: string): void {
    const g = this.#guest(instanceId);
    g.power = power;
    g.log.push(`[${new Date().toISOString()}] ${line}`);
  }

  async powerOff(id: string): Promise<void> {
    this.#set(id, 'shutdown', 'powered off');
  }
  async powerOn(id: string): Promise<void> {
    this.#set(id, 'running', 'powered on');
  }
  async reboot(id: string, type: 'SOFT' | 'HARD'): Promise<void> {
    this.#set(id, 'running', `${type.toLowerCase()} reboot`);
  }
  async pause(id: string): Promise<void> {
    this.#set(id, 'paused', 'paused');
  }
  async unpause(id: string): Promise<void> {
    this.#set(id, 'running', 'unpaused');
  }
  async suspend(id: string): Promise<void> {
    this.#set(id, 'suspended', 'suspended');
  }
  async resume(id: string): Promise<void> {
    this.#set(id, 'running', 'resumed');
  }
  async consoleOutput(id: string): Promise<string> {
    return `${this.#guest(id).log.join('\n')}\n`;
  }
  async attachVolume(id: string, v: GuestSpec['volumes'][number]): Promise<void> {
    this.#guest(id).volumes.add(v.volumeId);
  }
  async detachVolume(id: string, volumeId: string, _device: string): Promise<void> {
    this.#guests.get(id)?.volumes.delete(volumeId);
  }
  async attachInterface(id: string, p: GuestSpec['ports'][number]): Promise<void> {
    this.#guest(id).ports.add(p.portId);
  }
  async detachInterface(id: string, portId: string): Promise<void> {
    this.#guests.get(id)?.ports.delete(portId);
  }
  async close(): Promise<void> {
    this.#guests.clear();
  }
}
