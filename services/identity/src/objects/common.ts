/** Helpers shared by the identity objects: ids, the DB handle type, and duplicate-name conflicts. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Conflict } from '@strata/errors';
import { isUniqueViolation, parseJsonColumn } from '@strata/db';
import type { IdentityDatabase } from '../db/schema.js';

/** The identity DB handle (or a transaction on it). */
export type IdentityDb = Kysely<IdentityDatabase>;

/** A new keystone-style id: 32 lowercase hex characters. */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Free-form extra attributes a resource keeps (keystone stores unknown keys and returns them). */
export type Extra = Record<string, unknown>;

/** Read an `extra` column. */
export function readExtra(v: string | null): Extra {
  return parseJsonColumn<Extra>(v, {});
}

/** Run `fn`; turn a unique violation into keystone's 409. */
export async function withDuplicateCheck<T>(kind: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new Conflict(`Conflict occurred attempting to store ${kind} - Duplicate entry found with name ${name}.`, { kind, name }, 'DuplicateEntry');
    }
    throw err;
  }
}
