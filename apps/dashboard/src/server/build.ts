/**
 * Building the dashboard's static bundle (vite) into apps/dashboard/dist, safely when several
 * processes try at once: one build at a time (a lock directory), output written to a temporary
 * directory and renamed into place, so a reader never sees a half-written dist.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** apps/dashboard. */
export const DASHBOARD_ROOT = resolve(new URL('../../', import.meta.url).pathname);
/** Where the built bundle is served from. */
export const DIST_DIR = join(DASHBOARD_ROOT, 'dist');
const LOCK_DIR = join(DASHBOARD_ROOT, '.build-lock');
const INPUTS = ['src/client', 'index.html', 'vite.config.ts', 'package.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/** True when dist is missing or older than any source of the bundle. */
export function isStale(): boolean {
  const index = join(DIST_DIR, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return INPUTS.some((p) => newestMtime(join(DASHBOARD_ROOT, p)) > built);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the build lock; false when another live process holds it. */
function tryLock(): boolean {
  try {
    mkdirSync(LOCK_DIR);
    writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
    return true;
  } catch {
    let pid = 0;
    try {
      pid = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
    } catch {
      // being written right now, or left empty by a crash: judge by age
      const st = statSync(LOCK_DIR, { throwIfNoEntry: false });
      if (st === undefined) return tryLock();
      if (Date.now() - st.mtimeMs < 5_000) return false;
    }
    if (pid > 0 && pidAlive(pid)) return false;
    rmSync(LOCK_DIR, { recursive: true, force: true });
    return tryLock();
  }
}

/** Run `vite build` into a temporary directory and swap it into dist. Progress lines go to `log`. */
async function runVite(log: (line: string) => void): Promise<void> {
  const tmp = join(DASHBOARD_ROOT, `.dist-tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const vite = join(resolve(DASHBOARD_ROOT, '../..'), 'node_modules/vite/bin/vite.js');
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [vite, 'build', '--outDir', tmp, '--emptyOutDir', '--logLevel', 'warn'], { cwd: DASHBOARD_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line.trim() !== '') log(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`vite build exited with ${code}`))));
  });
  const old = join(DASHBOARD_ROOT, `.dist-old-${process.pid}`);
  if (existsSync(DIST_DIR)) renameSync(DIST_DIR, old);
  renameSync(tmp, DIST_DIR);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Build the bundle when it is stale (or always, with force). When another process is building,
 * wait for it instead. Resolves once dist is current.
 */
export async function ensureBuilt(opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<'built' | 'fresh'> {
  const log = opts.log ?? ((): void => undefined);
  for (;;) {
    if (opts.force !== true && !isStale()) return 'fresh';
    if (tryLock()) {
      try {
        if (opts.force !== true && !isStale()) return 'fresh';
        await runVite(log);
        return 'built';
      } finally {
        rmSync(LOCK_DIR, { recursive: true, force: true });
      }
    }
    await sleep(500);
  }
}
