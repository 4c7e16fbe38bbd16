/** What every object module shares: the database handle type, ids, timestamps, JSON columns and chunked IN queries. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { NetworkDatabase } from '../db/schema.js';

/** The network database, or a transaction on it. */
export type NetworkDb = Kysely<NetworkDatabase>;

/** A new resource id (a UUID, as neutron's). */
export function newId(): string {
  return randomUUID();
}

/** The current time for created_at/updated_at. */
export function now(): string {
  return nowIso();
}

/** Read a boolean column. */
export const bool = toBool;

/** Read a JSON list or object column. */
export function json<T>(v: string | null | undefined, fallback: T): T {
  return parseJsonColumn<T>(v, fallback);
}

/** Split `ids` into chunks small enough for any engine's bound-parameter limit. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The standard attributes of a resource (neutron's standardattributes table). */
export interface StandardAttributes {
  readonly description: string;
  readonly revisionNumber: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Read the standard attribute columns of a row. */
export function standardFromRow(r: { description: string; revision_number: number; created_at: string; updated_at: string }): StandardAttributes {
  return { description: r.description, revisionNumber: Number(r.revision_number), createdAt: r.created_at, updatedAt: r.updated_at };
}

/** Column values of a new resource's standard attributes. */
export function standardForInsert(description: string | undefined): { description: string; revision_number: number; created_at: string; updated_at: string } {
  const t = now();
  return { description: description ?? '', revision_number: 1, created_at: t, updated_at: t };
}
