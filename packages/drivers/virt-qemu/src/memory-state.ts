/**
 * Suspend and resume: a guest's memory goes to a file and back through QEMU migration over a
 * unix socket the driver serves (no shell, no `exec:` URI, no file descriptor passing).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QmpClient } from './qmp-client.js';
import { withTimeout } from './with-timeout.js';

/** Where the state goes and the socket it travels through. */
export interface MemoryStateFiles {
  readonly memoryState: string;
  readonly migrateSocket: string;
}

/** Poll `query-migrate` until the migration completed; throws when it failed. */
export async function waitForMigration(qmp: QmpClient, signal: AbortSignal | undefined, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
    if (m.status === 'completed') return;
    if (m.status === 'failed' || m.status === 'cancelled') throw new Error(`migration ${m.status}${m['error-desc'] !== undefined ? `: ${m['error-desc']}` : ''}`);
    if (Date.now() > deadline) throw new Error(`migration did not complete within ${timeoutMs} ms`);
    await sleep(50, undefined, signal === undefined ? undefined : { signal });
  }
}

/**
 * Pause the guest (when running) and save its memory to `files.memoryState` (mode 0600,
 * written whole or not at all). On failure a running guest runs again. The caller then ends
 * the QEMU process.
 */
export async function saveMemoryState(qmp: QmpClient, files: MemoryStateFiles, wasRunning: boolean, signal: AbortSignal | undefined): Promise<void> {
  const part = `${files.memoryState}.part`;
  await rm(files.migrateSocket, { force: true });
  const server = createServer();
  let written: Promise<void> | undefined;
  const connected = new Promise<void>((resolve, reject) => {
    server.once('connection', (sock) => {
      written = pipeline(sock, createWriteStream(part, { mode: 0o600 }));
      resolve();
    });
    server.once('error', reject);
  });
  connected.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(files.migrateSocket, () => resolve());
  });
  try {
    if (wasRunning) await qmp.execute('stop');
    await qmp.execute('migrate', { uri: `unix:${files.migrateSocket}` });
    if (!(await withTimeout(connected.then(() => true), 30_000, false, signal))) throw new Error('QEMU did not connect to the save socket');
    await waitForMigration(qmp, signal);
    await written;
    await rename(part, files.memoryState);
  } catch (err) {
    await rm(part, { force: true });
    if (wasRunning && !qmp.closed) await qmp.execute('cont').catch(() => undefined);
    throw err;
  } finally {
    server.close();
    await rm(files.migrateSocket, { force: true });
  }
}

/**
 * Feed `files.memoryState` to a QEMU started with `-incoming defer -S`, then let the guest run
 * and remove the file. The caller stops the process when this throws.
 */
export async function loadMemoryState(qmp: QmpClient, files: MemoryStateFiles, signal: AbortSignal | undefined): Promise<void> {
  try {
    await rm(files.migrateSocket, { force: true });
    await qmp.execute('migrate-incoming', { uri: `unix:${files.migrateSocket}` });
    const sock = connect({ path: files.migrateSocket });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    await pipeline(createReadStream(files.memoryState), sock);
    await waitForMigration(qmp, signal);
    await qmp.execute('cont');
    await rm(files.memoryState, { force: true });
  } finally {
    await rm(files.migrateSocket, { force: true });
  }
}
