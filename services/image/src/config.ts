/** The [image] config group: glance's port, data directory, size cap, storage quota and import methods. */
import { boolOpt, intOpt, portOpt, stringOpt, type OptionSpec } from '@strata/config';

const UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Parse a byte size as glance writes them: a number of bytes, or a number with B, KB, MB, GB or TB. */
export function parseByteSize(raw: unknown): number {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'bigint' && raw >= 0n && raw <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(raw);
  if (typeof raw !== 'string') throw new Error('expected a size such as 1073741824, 500MB or 1TB');
  const m = /^\s*(\d+)\s*(B|KB|MB|GB|TB)?\s*$/i.exec(raw);
  if (m === null) throw new Error('expected a size such as 1073741824, 500MB or 1TB');
  const n = Number(m[1]) * (UNITS[(m[2] ?? 'B').toUpperCase()] ?? 1);
  if (!Number.isSafeInteger(n)) throw new Error('size too large');
  return n;
}

/** A byte-size option (compiled to a number of bytes). */
function sizeOpt(def: number, help: string): OptionSpec<number> {
  return { default: def, help: `${help} Possible values: a number of bytes, or a number with a unit B, KB, MB, GB or TB (powers of 1024).`, parse: parseByteSize };
}

/** Options of glance. */
export const imageSchema = {
  image: {
    port: portOpt(9292, 'Port of the Image v2 API.'),
    data_dir: stringOpt('', "Directory of the file store (glance's filesystem_store_datadir); empty means <data-dir>/images."),
    image_size_cap: sizeOpt(1024 ** 4, 'Largest image accepted, in bytes; a larger upload fails with 413 and leaves nothing behind.'),
    user_storage_quota: sizeOpt(0, 'Most image data one project may store, over all its images; 0 means no limit.'),
    image_member_quota: intOpt(128, 'Most members an image may have; 0 means no limit.', 0, 1_000_000),
    image_property_quota: intOpt(128, 'Most custom properties an image may have; 0 means no limit.', 0, 1_000_000),
    image_tag_quota: intOpt(128, 'Most tags an image may have; 0 means no limit.', 0, 1_000_000),
    enable_glance_direct: boolOpt(true, 'Offer the glance-direct interoperable import method (stage, then import).'),
    fsync_uploads: boolOpt(false, 'fsync each uploaded image before it becomes active (durable across power loss, slower).'),
    service_password: stringOpt('', "Password of glance's service user `glance` (project `service`, roles admin and service), which glance authenticates as for its calls to other services. Possible values: any string; empty means a generated one, kept in <data-dir>/service-credentials.json. A set value wins: bootstrap resets the user's password to it."),
  },
} as const;
