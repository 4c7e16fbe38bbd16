/** Finds kernel modules and their dependencies in an extracted Debian kernel package, without depmod. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * The modules the test image loads; their dependencies are added. Names as `modinfo` gives them.
 * A name ending in `?` is taken only when the kernel has it (Debian's cloud kernel has no
 * e1000 or AHCI, for instance).
 */
export const TEST_IMAGE_MODULES: readonly string[] = [
  // disks: virtio, IDE (ata_piix on pc), AHCI (q35), virtio-scsi, sd and CD-ROM
  'virtio_pci',
  'virtio_blk',
  'virtio_scsi',
  'ata_piix',
  'ahci?',
  'sd_mod',
  'sr_mod',
  // NICs: virtio, e1000 (pc), e1000e (q35), rtl8139
  'virtio_net',
  'e1000?',
  'e1000e?',
  '8139cp?',
  // config drive file systems
  'isofs',
  'vfat',
  'nls_cp437',
  'nls_iso8859_1',
  'nls_utf8',
  // ACPI power button as an input device for acpid
  'button',
  'evdev',
  'virtio_rng',
  // tells QEMU when the kernel panics (the ISA pvpanic device), so the host sees CRASHED
  'pvpanic_mmio?',
];

const normalize = (name: string): string => name.replace(/-/g, '_');

/** The names a module depends on, read from its `.modinfo` section (`depends=a,b`). */
export function moduleDepends(ko: Buffer): string[] {
  let at = ko.indexOf('depends=');
  while (at > 0 && ko[at - 1] !== 0) at = ko.indexOf('depends=', at + 1);
  if (at < 0) return [];
  const end = ko.indexOf(0, at);
  const value = ko.subarray(at + 'depends='.length, end < 0 ? undefined : end).toString('latin1');
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(normalize);
}

async function walk(dir: string, out: string[]): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.name.endsWith('.ko')) out.push(p);
  }
  return out;
}

/**
 * The module files (relative to `modulesDir`, e.g. `kernel/drivers/virtio/virtio.ko`) needed
 * for `wanted`, dependencies first. Throws when a module or a dependency is missing.
 */
export async function resolveModules(modulesDir: string, wanted: readonly string[]): Promise<string[]> {
  const files = await walk(join(modulesDir, 'kernel'), []);
  const byName = new Map<string, string>();
  for (const f of files) byName.set(normalize(f.slice(f.lastIndexOf('/') + 1, -'.ko'.length)), f);
  const order: string[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = async (name: string, from: string): Promise<void> => {
    const n = normalize(name);
    if (done.has(n) || visiting.has(n)) return;
    const file = byName.get(n);
    if (file === undefined) throw new Error(`kernel module ${n} (needed by ${from}) is not in the kernel package`);
    visiting.add(n);
    for (const dep of moduleDepends(await readFile(file))) await visit(dep, n);
    visiting.delete(n);
    done.add(n);
    order.push(relative(modulesDir, file));
  };
  for (const w of wanted) {
    if (w.endsWith('?')) {
      if (byName.has(normalize(w.slice(0, -1)))) await visit(w.slice(0, -1), 'the test image');
    } else {
      await visit(w, 'the test image');
    }
  }
  return order;
}
