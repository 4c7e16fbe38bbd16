/**
 * Token signing keys on disk, rotated like keystone's fernet keys: file `0` is the staged key,
 * the highest number is the primary (signs), and every key in between still validates.
 */
import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One signing key and its id (a fingerprint, stable across renames). */
export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
}

/** The loaded keys: the primary signs; all validate. */
export interface KeySet {
  readonly primary: SigningKey;
  readonly byKid: ReadonlyMap<string, SigningKey>;
}

function fingerprint(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

function writeKey(dir: string, name: string): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, randomBytes(32).toString('base64'), { mode: 0o600 });
  renameSync(tmp, join(dir, name));
}

function keyIndexes(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^\d+$/.test(f))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Manages the key directory (e.g. `<data-dir>/keys/token`). */
export class KeyRepository {
  readonly #dir: string;
  readonly #maxActiveKeys: number;

  /** @param maxActiveKeys staged + primary + secondaries kept after a rotation (keystone's max_active_keys). */
  constructor(dir: string, maxActiveKeys = 3) {
    this.#dir = dir;
    this.#maxActiveKeys = Math.max(2, maxActiveKeys);
  }

  /** Create the directory with a staged key (0) and a primary key (1) if it has none. */
  ensure(): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    chmodSync(this.#dir, 0o700);
    const idx = keyIndexes(this.#dir);
    if (!idx.includes(0)) writeKey(this.#dir, '0');
    if (keyIndexes(this.#dir).length < 2) writeKey(this.#dir, '1');
  }

  /**
   * Rotate: the staged key becomes the new primary, a new staged key is made, and the oldest
   * secondaries beyond maxActiveKeys are removed (tokens they signed stop validating).
   */
  rotate(): { primary: number; removed: number[] } {
    this.ensure();
    const idx = keyIndexes(this.#dir);
    const next = (idx[idx.length - 1] ?? 0) + 1;
    renameSync(join(this.#dir, '0'), join(this.#dir, String(next)));
    writeKey(this.#dir, '0');
    const secondaries = keyIndexes(this.#dir).filter((i) => i !== 0 && i !== next);
    const excess = secondaries.length - (this.#maxActiveKeys - 2);
    const removed = excess > 0 ? secondaries.slice(0, excess) : [];
    for (const i of removed) rmSync(join(this.#dir, String(i)));
    return { primary: next, removed };
  }

  /** Read every key. */
  load(): KeySet {
    this.ensure();
    const idx = keyIndexes(this.#dir);
    const byKid = new Map<string, SigningKey>();
    let primary: SigningKey | undefined;
    for (const i of idx) {
      const raw = Buffer.from(readFileSync(join(this.#dir, String(i)), 'utf8').trim(), 'base64');
      const k: SigningKey = { kid: fingerprint(raw), key: createSecretKey(raw) };
      byKid.set(k.kid, k);
      if (i !== 0) primary = k;
    }
    if (primary === undefined) throw new Error(`no primary token key in ${this.#dir}`);
    return { primary, byKid };
  }
}
