/** Runs `strata up` as a real child process on free ports, as a user would with `npm start`. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO = resolve(new URL('../../../../', import.meta.url).pathname);

/** The port option of every service that `strata up` may start; unknown ones are ignored by the config loader. */
const PORT_KEYS = ['OS_IDENTITY__PORT', 'OS_IMAGE__PORT', 'OS_COMPUTE__PORT', 'OS_COMPUTE__METADATA_PORT', 'OS_COMPUTE__NOVNCPROXY_PORT', 'OS_NETWORK__PORT', 'OS_BLOCK_STORAGE__PORT', 'OS_DASHBOARD__PORT'] as const;

/**
 * A free TCP port on loopback, below the kernel's ephemeral range (32768–60999): a port picked there
 * and released can be taken by any outgoing connection before the server binds it (busy under
 * Tempest); one below it only by another test that happens to pick the same one.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((done) => {
      const srv = createServer();
      srv.once('error', () => done(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
    });
    if (free) return port;
  }
}

/** A running `strata up`. */
export interface StrataProcess {
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** The environment of its admin: OS_* from <data-dir>/openrc plus PATH etc. */
  readonly adminEnv: NodeJS.ProcessEnv;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, wait for exit; resolves to the exit code. Removes the data dir unless kept. */
  stop(): Promise<number | null>;
}

/** Parse `export K='v'` lines of an openrc file. */
export function parseOpenrc(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_]+)=(?:'((?:[^']|'\\'')*)'|(\S*))$/.exec(line.trim());
    if (m !== null && m[1] !== undefined) out[m[1]] = m[2] !== undefined ? m[2].replace(/'\\''/g, "'") : (m[3] ?? '');
  }
  return out;
}

/** Start `node apps/cli/bin/strata.js up` on a fresh (or given) data dir with free ports; resolves once it says it is up. */
export async function startStrataProcess(opts: { env?: Record<string, string>; dataDir?: string; timeoutMs?: number } = {}): Promise<StrataProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-up-'));
  let child: ChildProcess;
  let out = '';
  // A port another test took between freePort() and the bind: start again on new ports.
  for (let attempt = 1; ; attempt++) {
    const ports: Record<string, string> = {};
    for (const k of PORT_KEYS) ports[k] = String(await freePort());
    child = spawn(process.execPath, [join(REPO, 'apps/cli/bin/strata.js'), 'up', '--data-dir', dataDir], {
      cwd: REPO,
      env: { ...process.env, OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4', ...ports, ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    while (!out.includes('Strata is up.') && child.exitCode === null && Date.now() <= deadline) await sleep(100);
    if (out.includes('Strata is up.')) break;
    if (child.exitCode === null) child.kill('SIGKILL');
    else if (/EADDRINUSE/.test(out) && attempt < 3) continue;
    throw new Error(`strata up did not start (exit ${child.exitCode}):\n${out}`);
  }
  const rc = parseOpenrc(readFileSync(join(dataDir, 'openrc'), 'utf8'));
  const adminEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...rc };
  return {
    dataDir,
    child,
    adminEnv,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        await Promise.race([exited, sleep(15_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

/** True when the `openstack` CLI is installed. */
export function hasOpenstackCli(): boolean {
  return spawnSync('openstack', ['--version'], { stdio: 'ignore' }).status === 0;
}
