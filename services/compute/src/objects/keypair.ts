/** Key pairs (per user): import or generate, fingerprints as nova computes them. Version history: 1.0 - initial. */
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import { BadRequest, Conflict, NotFound } from '@strata/errors';
import { isUniqueViolation, nowIso } from '@strata/db';
import type { ComputeDatabase, KeypairTable } from '../db/schema.js';

/** A key pair. */
export interface Keypair {
  readonly userId: string;
  readonly name: string;
  readonly type: 'ssh' | 'x509';
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly createdAt: string;
}

function fromRow(r: KeypairTable): Keypair {
  return { userId: r.user_id, name: r.name, type: r.type as 'ssh' | 'x509', fingerprint: r.fingerprint, publicKey: r.public_key, createdAt: r.created_at };
}

/** MD5 fingerprint of an OpenSSH public key (nova's crypto.generate_fingerprint); 400 when it does not parse. */
export function sshFingerprint(publicKey: string): string {
  const parts = publicKey.trim().split(/\s+/);
  const b64 = parts[1];
  if (parts.length < 2 || b64 === undefined || !/^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521))$/.test(parts[0] ?? '') || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new BadRequest('Keypair data is invalid: failed to generate fingerprint', {}, 'InvalidKeypair');
  }
  const blob = Buffer.from(b64, 'base64');
  const typeLen = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  if (typeLen <= 0 || typeLen > blob.length - 4 || blob.subarray(4, 4 + typeLen).toString() !== parts[0]) {
    throw new BadRequest('Keypair data is invalid: failed to generate fingerprint', {}, 'InvalidKeypair');
  }
  const hex = createHash('md5').update(blob).digest('hex');
  return hex.match(/../g)?.join(':') ?? hex;
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function sshMpint(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return sshString(v);
}

/** A new RSA key pair: the OpenSSH public key and the PEM private key. */
export function generateSshKeypair(comment: string): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const e = Buffer.from(jwk.e ?? '', 'base64url');
  const n = Buffer.from(jwk.n ?? '', 'base64url');
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), sshMpint(e), sshMpint(n)]);
  return { publicKey: `ssh-rsa ${blob.toString('base64')} ${comment}`, privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
}

/** Reads and writes key pairs. */
export class KeypairStore {
  readonly #db: Kysely<ComputeDatabase>;
  constructor(db: Kysely<ComputeDatabase>) {
    this.#db = db;
  }

  /** 409 KeyPairExists on a duplicate name for the user. */
  async create(k: Omit<Keypair, 'createdAt'>): Promise<Keypair> {
    const row: KeypairTable = { user_id: k.userId, name: k.name, type: k.type, fingerprint: k.fingerprint, public_key: k.publicKey, created_at: nowIso() };
    try {
      await this.#db.insertInto('keypairs').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Key pair '${k.name}' already exists.`, { name: k.name }, 'KeyPairExists');
      throw err;
    }
    return fromRow(row);
  }

  async list(userId: string): Promise<Keypair[]> {
    const rows = await this.#db.selectFrom('keypairs').selectAll().where('user_id', '=', userId).orderBy('name').execute();
    return rows.map(fromRow);
  }

  async count(userId: string): Promise<number> {
    const r = await this.#db.selectFrom('keypairs').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** 404 KeypairNotFound. */
  async get(userId: string, name: string): Promise<Keypair> {
    const r = await this.#db.selectFrom('keypairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Keypair ${name} not found for user ${userId}`, { name }, 'KeypairNotFound');
    return fromRow(r);
  }

  async delete(userId: string, name: string): Promise<void> {
    const res = await this.#db.deleteFrom('keypairs').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound(`Keypair ${name} not found for user ${userId}`, { name }, 'KeypairNotFound');
  }
}
