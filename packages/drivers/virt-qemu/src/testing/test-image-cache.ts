/**
 * The test image for tests: built once per version of the image's sources (the builder and the
 * guest files) into the repository's ignored .tmp/, so a change to the image rebuilds it and an
 * older build is never booted by mistake.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTestImage } from '../image/test-image-builder.js';

const imageSources = join(dirname(fileURLToPath(import.meta.url)), '..', 'image');
const cacheDir = join(imageSources, '../../../../..', '.tmp', 'virt-qemu');

/** The path of the current test image, built first when missing; older builds are removed. */
export async function cachedTestImage(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of (await readdir(imageSources)).sort()) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts')) hash.update(await readFile(join(imageSources, f)));
  }
  const name = `strata-test-${hash.digest('hex').slice(0, 12)}.qcow2`;
  await mkdir(cacheDir, { recursive: true });
  for (const old of await readdir(cacheDir)) if (old.startsWith('strata-test-') && old.endsWith('.qcow2') && old !== name) await rm(join(cacheDir, old), { force: true });
  const output = join(cacheDir, name);
  await buildTestImage({ output });
  return output;
}
