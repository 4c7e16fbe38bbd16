// Runs the whole test suite: type-check, then every *.test.ts under Node's own test runner.
// Usage: node scripts/run-tests.mjs [path-filter ...]   (filters match substrings of file paths)
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'services', 'apps', 'tests', 'bench'];
const skipDirs = new Set(['node_modules', 'dist', 'data', '.tmp']);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      if (!skipDirs.has(e.name)) walk(join(dir, e.name), out);
    } else if (e.name.endsWith('.test.ts')) {
      out.push(relative(root, join(dir, e.name)));
    }
  }
  return out;
}

const filters = process.argv.slice(2);
// The long files (Tempest runs, then the end-to-end tests) start first, so they do not make the tail.
const rank = (f) => (f.startsWith('tests/conformance/') ? 0 : f.startsWith('tests/') ? 1 : 2);
const files = roots
  .flatMap((r) => walk(join(root, r), []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

if (filters.length === 0 && process.env.STRATA_SKIP_TYPECHECK !== '1') {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  if (tsc.status !== 0) {
    console.error('type-check failed');
    process.exit(tsc.status ?? 1);
  }
}

const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.STRATA_TEST_CONCURRENCY ?? '2'}`, ...files];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
