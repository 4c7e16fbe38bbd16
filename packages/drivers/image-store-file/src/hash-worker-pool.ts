/**
 * Hashing off the main thread: a worker thread that digests a file while it is being written,
 * reading behind the writer (from the page cache) as the writer reports its progress. No image
 * bytes cross between threads, and the event loop serving the API never runs a hash.
 */
import { Worker } from 'node:worker_threads';

// The worker is plain JavaScript evaluated from a string, so it runs without a TypeScript loader.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const buf = Buffer.allocUnsafe(1 << 20);
const sessions = new Map();
function end(id, s) {
  sessions.delete(id);
  try { fs.closeSync(s.fd); } catch {}
}
function pump(id, s) {
  while (s.pos < s.target) {
    const n = fs.readSync(s.fd, buf, 0, Math.min(buf.length, s.target - s.pos), s.pos);
    if (n <= 0) throw new Error('the file being hashed is shorter than written: ' + s.pos + ' < ' + s.target);
    s.hash.update(buf.subarray(0, n));
    s.pos += n;
  }
  if (s.final) {
    end(id, s);
    parentPort.postMessage({ t: 'r', id, hex: s.hash.digest('hex') });
  }
}
parentPort.on('message', (m) => {
  let s = sessions.get(m.id);
  try {
    if (m.t === 'o') {
      sessions.set(m.id, { fd: fs.openSync(m.path, 'r'), hash: createHash(m.algo), pos: 0, target: 0, final: false });
    } else if (s !== undefined && (m.t === 'w' || m.t === 'f')) {
      s.target = m.n;
      s.final = m.t === 'f';
      pump(m.id, s);
    } else if (s !== undefined && m.t === 'x') {
      end(m.id, s);
    }
  } catch (err) {
    if (s !== undefined || (s = sessions.get(m.id)) !== undefined) end(m.id, s);
    parentPort.postMessage({ t: 'e', id: m.id, message: String(err && err.message || err) });
  }
});
`;

type WorkerReply = { t: 'r'; id: number; hex: string } | { t: 'e'; id: number; message: string };

interface Pending {
  resolve: (hex: string) => void;
  reject: (err: Error) => void;
}

/** One worker thread digesting files for any number of concurrent sessions. Started lazily; idle, it does not keep the process alive. */
export class FileHashWorker {
  readonly #algo: string;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #results = new Map<number, Pending>();
  readonly #failed = new Map<number, Error>();
  #open = 0;

  constructor(algo: string) {
    this.#algo = algo;
  }

  #ensure(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.on('message', (m: WorkerReply) => {
      const p = this.#results.get(m.id);
      if (m.t === 'r') p?.resolve(m.hex);
      else if (p !== undefined) p.reject(new Error(m.message));
      else this.#failed.set(m.id, new Error(m.message));
      this.#results.delete(m.id);
    });
    const failAll = (err: Error): void => {
      for (const p of this.#results.values()) p.reject(err);
      this.#results.clear();
    };
    w.on('error', failAll);
    w.on('exit', () => {
      this.#worker = undefined;
      failAll(new Error('hash worker exited'));
    });
    w.unref();
    this.#worker = w;
    return w;
  }

  /** Start digesting the file at `path` (which must exist); feed it progress with the session. */
  open(path: string): FileHashSession {
    const worker = this.#ensure();
    if (this.#open === 0) worker.ref();
    this.#open += 1;
    const id = this.#nextId++;
    let closed = false;
    const release = (): void => {
      if (closed) return;
      closed = true;
      this.#open -= 1;
      if (this.#open === 0) this.#worker?.unref();
    };
    worker.postMessage({ t: 'o', id, path, algo: this.#algo });
    return {
      written: (n) => worker.postMessage({ t: 'w', id, n }),
      digest: (n) => {
        const early = this.#failed.get(id);
        this.#failed.delete(id);
        if (early !== undefined) {
          release();
          return Promise.reject(early);
        }
        return new Promise<string>((resolve, reject) => {
          this.#results.set(id, {
            resolve: (hex) => (release(), resolve(hex)),
            reject: (err) => (release(), reject(err)),
          });
          worker.postMessage({ t: 'f', id, n });
        });
      },
      cancel: () => {
        this.#failed.delete(id);
        this.#results.delete(id);
        worker.postMessage({ t: 'x', id });
        release();
      },
    };
  }

  /** Stop the thread; sessions still open fail. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w !== undefined) await w.terminate();
  }
}

/** One file being digested by a FileHashWorker. */
export interface FileHashSession {
  /** The first `n` bytes of the file are written: hash up to there. */
  written(n: number): void;
  /** The file is complete at `n` bytes: resolves to the hex digest. Ends the session. */
  digest(n: number): Promise<string>;
  /** Stop without a digest (the file may be deleted afterwards). */
  cancel(): void;
}
