/** QEMU processes by pid: start one daemonized, tell whether it is still ours and alive, wait for and force its end. */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandRunner } from './host-commands.js';

/** Read a pid file; null when missing or garbage. */
export async function readPidFile(path: string): Promise<number | null> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(n) && n > 1 ? n : null;
  } catch {
    return null;
  }
}

/**
 * True when `pid` runs, is not a zombie, and is the QEMU of guest `uuid` (its command line has
 * `-uuid <uuid>`), so a recycled pid is never taken for a guest.
 */
export async function isGuestProcess(pid: number, uuid: string): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const at = cmdline.indexOf('-uuid');
    return at >= 0 && cmdline[at + 1] === uuid;
  } catch {
    return false;
  }
}

/** Resolve true once the guest process ended, false when it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, uuid: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await isGuestProcess(pid, uuid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25, undefined, signal === undefined ? undefined : { signal });
  }
}

/** SIGKILL the guest process (only when it is still the guest's) and wait until it is gone. */
export async function killGuestProcess(pid: number, uuid: string): Promise<void> {
  if (!(await isGuestProcess(pid, uuid))) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, uuid, 10_000);
}

/**
 * Run QEMU with `-daemonize`: it returns once the guest is set up (or failed, with QEMU's
 * message in the error); the pid file then names the running process.
 */
export async function startDaemonized(runner: CommandRunner, qemu: string, args: readonly string[], pidFile: string, signal?: AbortSignal): Promise<number> {
  await runner.run(qemu, args, { signal, timeoutMs: 60_000 });
  const pid = await readPidFile(pidFile);
  if (pid === null) throw new Error(`QEMU started but wrote no pid to ${pidFile}`);
  return pid;
}
