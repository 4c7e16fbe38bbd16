/** Helpers shared by the image objects: the DB handle type and number columns. */
import type { Kysely } from 'kysely';
import type { ImageDatabase } from '../db/schema.js';

/** The image DB handle (or a transaction on it). */
export type ImageDb = Kysely<ImageDatabase>;

/** A nullable BIGINT column as a number. */
export function numberOrNull(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}
