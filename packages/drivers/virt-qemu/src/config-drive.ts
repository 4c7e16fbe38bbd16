/** Builds a config drive: an ISO 9660 image labelled `config-2` with OpenStack's `openstack/latest/` files. */
import { access, chmod, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ConfigDriveData } from '@strata/virt';
import type { CommandRunner } from './host-commands.js';

/** Versions the drive carries the files under (cloud-init reads `latest`; older agents a dated one). */
const VERSIONS = ['latest', '2018-08-27', '2013-10-17', '2012-08-10'];

/** The files of the drive, relative to its root, and their content. */
export function configDriveFiles(data: ConfigDriveData, adminPassword?: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const metaData = adminPassword === undefined ? data.metaData : { ...data.metaData, admin_pass: adminPassword };
  for (const v of VERSIONS) {
    files.set(`openstack/${v}/meta_data.json`, Buffer.from(JSON.stringify(metaData)));
    if (data.userData !== undefined) files.set(`openstack/${v}/user_data`, Buffer.from(data.userData, 'base64'));
    if (data.networkData !== undefined) files.set(`openstack/${v}/network_data.json`, Buffer.from(JSON.stringify(data.networkData)));
    files.set(`openstack/${v}/vendor_data.json`, Buffer.from(JSON.stringify(data.vendorData ?? {})));
  }
  return files;
}

const SEARCH = ['/usr/bin', '/bin', '/usr/local/bin'];

async function findBuilder(explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) return explicit;
  for (const name of ['xorriso', 'genisoimage']) {
    for (const d of SEARCH) {
      try {
        await access(join(d, name), constants.X_OK);
        return join(d, name);
      } catch {
        // next
      }
    }
  }
  throw new Error('no ISO 9660 builder: install xorriso or genisoimage');
}

/**
 * Write the config drive ISO to `target` (mode 0600: it may hold the admin password), using a
 * scratch directory beside it that is removed afterwards.
 */
export async function buildConfigDrive(runner: CommandRunner, isoBuilder: string | undefined, target: string, data: ConfigDriveData, adminPassword: string | undefined, signal?: AbortSignal): Promise<void> {
  const builder = await findBuilder(isoBuilder);
  const scratch = await mkdtemp(join(dirname(target), '.config-drive-'));
  try {
    await chmod(scratch, 0o700);
    for (const [rel, content] of configDriveFiles(data, adminPassword)) {
      const p = join(scratch, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content, { mode: 0o600 });
    }
    const common = ['-o', target, '-V', 'config-2', '-J', '-r', '-quiet'];
    const args = builder.endsWith('xorriso')
      ? ['-as', 'mkisofs', ...common, scratch]
      : ['-ldots', '-allow-lowercase', '-allow-multidot', '-l', '-publisher', 'Strata', ...common, scratch];
    await runner.run(builder, args, { signal, timeoutMs: 60_000 });
    await chmod(target, 0o600);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
