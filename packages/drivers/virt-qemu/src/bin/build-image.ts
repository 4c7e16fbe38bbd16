/**
 * `npm run build-image -- [--data-dir DIR] [--output PATH] [--force]`: build Strata's bootable
 * test image (default `<data-dir>/images/strata-test.qcow2`, data dir `./data`) from Debian's
 * packages; does nothing when it is there, unless --force.
 */
import { parseArgs } from 'node:util';
import { resolve, join } from 'node:path';
import { buildTestImage } from '../image/test-image-builder.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: 'data' },
      output: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npm run build-image -- [--data-dir DIR] [--output PATH] [--force]\n');
    return 0;
  }
  const output = resolve(values.output ?? join(values['data-dir'], 'images', 'strata-test.qcow2'));
  const started = Date.now();
  const result = await buildTestImage({ output, force: values.force, onProgress: (m) => process.stderr.write(`build-image: ${m}\n`) });
  if (!result.built) process.stderr.write(`build-image: ${output} is there already (use --force to rebuild)\n`);
  else process.stderr.write(`build-image: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${result.path}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`build-image: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
