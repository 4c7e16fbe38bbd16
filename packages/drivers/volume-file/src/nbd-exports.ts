/** One qemu-nbd process per attachment, bound to the storage host's address, with pid files so a restart can clean up. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VolumeBackendError, assertVolumeObjectId } from '@strata/volume';

/** A running export. */
export interface NbdExport {
  readonly attachmentId: string;
  readonly volumeId: string;
  readonly host: string;
  readonly port: number;
  readonly exportName: string;
  readonly readOnly: boolean;
}

interface Running extends NbdExport {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const NBD_MAGIC = Buffer.from('NBDMAGICIHAVEOPT');

/**
 * True when an NBD server answers at host:port. Speaks the handshake and ends it with
 * NBD_OPT_ABORT: a bare TCP connect that hangs up mid-negotiation makes qemu-nbd linger on exit.
 */
function nbdAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let got = Buffer.alloc(0);
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      s.end();
      setTimeout(() => s.destroy(), 200).unref();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.on('data', (d: Buffer) => {
      if (got.length >= 18) return;
      got = Buffer.concat([got, d]);
      if (got.length < 18) return;
      if (!got.subarray(0, 16).equals(NBD_MAGIC)) return done(false);
      const reply = Buffer.alloc(20);
      reply.writeUInt32BE(1, 0); // NBD_FLAG_C_FIXED_NEWSTYLE
      NBD_MAGIC.subarray(8).copy(reply, 4); // IHAVEOPT
      reply.writeUInt32BE(2, 12); // NBD_OPT_ABORT
      reply.writeUInt32BE(0, 16);
      s.write(reply, () => done(true));
    });
  });
}

/** Starts and stops qemu-nbd exports; all state is in memory plus `<dir>/<attachment>.pid`. */
export class NbdExports {
  readonly #dir: string;
  readonly #bindHost: string;
  readonly #binary: string;
  readonly #running = new Map<string, Running>();
  readonly #starting = new Map<string, Promise<NbdExport>>();

  constructor(dir: string, bindHost: string, binary = 'qemu-nbd') {
    this.#dir = dir;
    this.#bindHost = bindHost;
    this.#binary = binary;
  }

  /** Exports running now. */
  get count(): number {
    return this.#running.size;
  }

  /** Kill exports a previous process left behind (pid files whose process is still a qemu-nbd). */
  async reapStale(): Promise<number> {
    await mkdir(this.#dir, { recursive: true });
    let reaped = 0;
    for (const name of await readdir(this.#dir)) {
      if (!name.endsWith('.pid')) continue;
      const file = join(this.#dir, name);
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 1) {
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.includes('qemu-nbd') && cmdline.includes(this.#dir)) {
          try {
            process.kill(pid, 'SIGTERM');
            reaped += 1;
          } catch {
            // already gone
          }
        }
      }
      await rm(file, { force: true });
    }
    return reaped;
  }

  /** The export of `attachmentId`, started if needed. Concurrent calls for one attachment share one start. */
  async ensure(attachmentId: string, volumeId: string, path: string, format: string, readOnly: boolean): Promise<NbdExport> {
    assertVolumeObjectId(attachmentId, 'attachment id');
    assertVolumeObjectId(volumeId, 'volume id');
    const existing = this.#running.get(attachmentId);
    if (existing !== undefined) return this.#public(existing);
    const pending = this.#starting.get(attachmentId);
    if (pending !== undefined) return pending;
    const p = this.#start(attachmentId, volumeId, path, format, readOnly).finally(() => this.#starting.delete(attachmentId));
    this.#starting.set(attachmentId, p);
    return p;
  }

  async #start(attachmentId: string, volumeId: string, path: string, format: string, readOnly: boolean): Promise<NbdExport> {
    await mkdir(this.#dir, { recursive: true });
    const exportName = `volume-${volumeId}`;
    const pidFile = join(this.#dir, `${attachmentId}.pid`);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const port = await freePort(this.#bindHost);
      const args = ['--bind', this.#bindHost, '--port', String(port), '--export-name', exportName, '--format', format, '--persistent', '--shared', '8', ...(readOnly ? ['--read-only'] : []), path];
      const child = spawn(this.#binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.once('error', (err) => (stderr += err.message));
      const deadline = Date.now() + 10_000;
      let up = false;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        if (await nbdAnswers(this.#bindHost, port)) {
          up = true;
          break;
        }
        await sleep(50);
      }
      if (up) {
        await writeFile(pidFile, `${child.pid ?? ''}\n`);
        const running: Running = { attachmentId, volumeId, host: this.#bindHost, port, exportName, readOnly, child, exited };
        this.#running.set(attachmentId, running);
        return this.#public(running);
      }
      child.kill('SIGKILL');
      await exited;
      // NOTE: another process may have taken the port between freePort() and qemu-nbd's bind; try another.
      if (!/Address already in use/i.test(stderr)) throw new VolumeBackendError(`qemu-nbd did not start: ${stderr.trim().split('\n').slice(-2).join(' ')}`, { volumeId });
    }
    throw new VolumeBackendError('qemu-nbd did not start: no free port', { volumeId });
  }

  /** Stop the export of `attachmentId`; resolves when there is none. */
  async stop(attachmentId: string): Promise<void> {
    await this.#starting.get(attachmentId)?.catch(() => undefined);
    const r = this.#running.get(attachmentId);
    this.#running.delete(attachmentId);
    if (r !== undefined) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        r.child.kill('SIGTERM');
        const killed = await Promise.race([r.exited.then(() => true), sleep(3000).then(() => false)]);
        if (!killed) {
          r.child.kill('SIGKILL');
          await r.exited;
        }
      }
    }
    await rm(join(this.#dir, `${attachmentId}.pid`), { force: true });
  }

  /** Stop every export of a volume (before it is deleted). */
  async stopVolume(volumeId: string): Promise<void> {
    for (const r of [...this.#running.values()]) if (r.volumeId === volumeId) await this.stop(r.attachmentId);
  }

  /** Stop everything. */
  async stopAll(): Promise<void> {
    for (const id of [...this.#running.keys()]) await this.stop(id);
  }

  #public(r: Running): NbdExport {
    return { attachmentId: r.attachmentId, volumeId: r.volumeId, host: r.host, port: r.port, exportName: r.exportName, readOnly: r.readOnly };
  }
}
