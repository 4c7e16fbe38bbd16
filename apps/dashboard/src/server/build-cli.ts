/** `npm run build -w @strata/dashboard` (always) and the workspace's postinstall (`--if-stale`). */
import { ensureBuilt } from './build.js';

const ifStale = process.argv.includes('--if-stale');
const started = Date.now();
process.stdout.write(ifStale ? 'dashboard: building the static bundle if stale...\n' : 'dashboard: building the static bundle...\n');
ensureBuilt({ force: !ifStale, log: (l) => process.stdout.write(`dashboard: ${l}\n`) })
  .then((r) => process.stdout.write(`dashboard: ${r === 'built' ? `built in ${((Date.now() - started) / 1000).toFixed(1)}s` : 'bundle is current'}\n`))
  .catch((err: unknown) => {
    process.stderr.write(`dashboard: build failed: ${String(err)}\n`);
    // After an install the next `strata up` tries again (and logs why), so the install itself goes on.
    process.exit(ifStale ? 0 : 1);
  });
