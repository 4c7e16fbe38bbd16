/** The files of one guest under `<instancesPath>/<uuid>/`, and the atomic read/write of its definition. */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceDefinition } from './instance-definition.js';

/** Paths of a guest's state directory. Names are fixed; only the uuid (validated) varies. */
export interface InstanceFiles {
  readonly dir: string;
  readonly definition: string;
  /** Root disk: a qcow2 overlay on the base image. */
  readonly root: string;
  readonly ephemeral: string;
  readonly swap: string;
  /** The config drive ISO. */
  readonly configDrive: string;
  readonly qmpSocket: string;
  readonly pidFile: string;
  /** The serial console log (appended across boots). */
  readonly consoleLog: string;
  /** Saved memory of a suspended guest. */
  readonly memoryState: string;
  /** The unix socket memory is saved and restored through. */
  readonly migrateSocket: string;
}

/** The paths for guest `uuid` (already validated) under `instancesPath`. */
export function instanceFiles(instancesPath: string, uuid: string): InstanceFiles {
  const dir = join(instancesPath, uuid);
  return {
    dir,
    definition: join(dir, 'instance.json'),
    root: join(dir, 'disk'),
    ephemeral: join(dir, 'disk.eph0'),
    swap: join(dir, 'disk.swap'),
    configDrive: join(dir, 'disk.config'),
    qmpSocket: join(dir, 'qmp.sock'),
    pidFile: join(dir, 'qemu.pid'),
    consoleLog: join(dir, 'console.log'),
    memoryState: join(dir, 'memory.state'),
    migrateSocket: join(dir, 'migrate.sock'),
  };
}

/** Where resize keeps the definition and disks revertResize goes back to. */
export function resizeBackupDir(files: InstanceFiles): string {
  return join(files.dir, 'resize-backup');
}

/** The guest's definition, or null when it has none (unknown guest, or a spawn that did not finish). */
export async function readDefinition(files: InstanceFiles): Promise<InstanceDefinition | null> {
  try {
    return JSON.parse(await readFile(files.definition, 'utf8')) as InstanceDefinition;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Write the definition atomically (temporary file, fsync, rename). */
export async function writeDefinition(files: InstanceFiles, def: InstanceDefinition): Promise<void> {
  const tmp = `${files.definition}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(def, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, files.definition);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
