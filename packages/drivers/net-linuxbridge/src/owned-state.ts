/**
 * What this backend instance created on the host, kept in a JSON file in its state directory, so a
 * restarted agent removes only its own stale devices, namespaces and processes — never anything
 * another program (or another Strata on the same host) made.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One plugged port. */
export interface OwnedPort {
  readonly networkId: string;
  readonly device: string;
  readonly kind: 'tap' | 'veth';
  /** False for a tap that existed already (adopted): it is detached on unplug, not deleted. */
  readonly created: boolean;
  /** Index used in firewall marks (1…65535). */
  readonly index: number;
}

/** The file's content. */
export interface OwnedStateData {
  /** Bridges by network id, with the uplink device (VLAN/VXLAN) the backend made, if any. */
  networks: Record<string, { bridge: string; uplink: string | null; uplinkCreated: boolean }>;
  ports: Record<string, OwnedPort>;
  /** DHCP namespaces by network id. */
  dhcp: Record<string, { ns: string; device: string }>;
  /** Router namespaces by router id, with the host-side device of each router port and its network. */
  routers: Record<string, { ns: string; ports: Record<string, { device: string; networkId: string }> }>;
}

/** The state file of one backend instance. */
export class OwnedState {
  readonly dir: string;
  readonly #file: string;
  data: OwnedStateData;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#file = join(dir, 'owned.json');
    this.data = { networks: {}, ports: {}, dhcp: {}, routers: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.#file, 'utf8')) as Partial<OwnedStateData>;
      this.data = { networks: parsed.networks ?? {}, ports: parsed.ports ?? {}, dhcp: parsed.dhcp ?? {}, routers: parsed.routers ?? {} };
    } catch {
      // No file yet (first start) or unreadable: nothing is owned.
    }
  }

  /** Write the file (atomically, by rename). */
  save(): void {
    const tmp = `${this.#file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 1), { mode: 0o600 });
    renameSync(tmp, this.#file);
  }

  /** A free firewall index for a new port. */
  nextPortIndex(): number {
    const used = new Set(Object.values(this.data.ports).map((p) => p.index));
    for (let i = 1; i < 65536; i++) if (!used.has(i)) return i;
    throw new Error('more than 65535 ports on one host');
  }
}
