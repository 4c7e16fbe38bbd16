/** What an image may hold, as glance's image schema says: formats, core and base properties, read-only and reserved names. */
import { BadRequest, Forbidden } from '@strata/errors';

/** Disk formats glance accepts (glance's [image_format] disk_formats default). */
export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
/** Container formats glance accepts. */
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
/** Visibilities, as the API spells them. */
export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;
/** Image statuses, as the API spells them. */
export const IMAGE_STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated', 'uploading', 'importing'] as const;
/** Member statuses. */
export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;

export type Visibility = (typeof VISIBILITIES)[number];
export type ImageStatus = (typeof IMAGE_STATUSES)[number];
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** Attributes the server sets; writing them is a 403 (glance's _readonly_properties). */
export const READ_ONLY = new Set(['id', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size', 'created_at', 'updated_at', 'direct_url', 'self', 'file', 'schema', 'stores', 'locations']);
/** Attributes nobody may write (glance's _reserved_properties). */
export const RESERVED = new Set(['location', 'deleted', 'deleted_at']);
/** Core attributes a client may write; everything else is a custom property with a string value. */
export const WRITABLE_CORE = ['name', 'visibility', 'protected', 'os_hidden', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'owner', 'tags'] as const;
export type WritableCore = (typeof WRITABLE_CORE)[number];

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAX_INT = 2 ** 31 - 1;

/** The writable state of an image as clients see it: core attributes plus custom properties, by API name. */
export interface ImageDocument {
  name: string | null;
  visibility: Visibility;
  protected: boolean;
  os_hidden: boolean;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  owner: string | null;
  tags: string[];
  properties: Record<string, string>;
}

function invalid(detail: string): BadRequest {
  return new BadRequest(`Provided object does not match schema 'image': ${detail}`, {}, 'SchemaValidationError');
}

function repr(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}

/** 403 when `name` is read-only or reserved (checked before any schema validation, as glance does). */
export function checkWritable(name: string): void {
  if (READ_ONLY.has(name)) throw new Forbidden(`Attribute '${name}' is read-only.`, { attribute: name }, 'ReadOnlyAttribute');
  if (RESERVED.has(name) || name.startsWith('os_glance')) throw new Forbidden(`Attribute '${name}' is reserved.`, { attribute: name }, 'ReservedAttribute');
}

/** Validate one core attribute's value; 400 in glance's words when it does not fit the schema. */
export function validateCore(name: WritableCore, value: unknown): void {
  switch (name) {
    case 'name':
    case 'owner':
      if (value !== null && typeof value !== 'string') throw invalid(`${repr(value)} is not of type 'null', 'string'`);
      if (typeof value === 'string' && value.length > 255) throw invalid(`${repr(value)} is too long`);
      return;
    case 'visibility':
      if (!(VISIBILITIES as readonly unknown[]).includes(value)) throw invalid(`${repr(value)} is not one of ${JSON.stringify(VISIBILITIES)}`);
      return;
    case 'protected':
    case 'os_hidden':
      if (typeof value !== 'boolean') throw invalid(`${repr(value)} is not of type 'boolean'`);
      return;
    case 'disk_format':
      if (value !== null && !(DISK_FORMATS as readonly unknown[]).includes(value)) throw invalid(`${repr(value)} is not one of [null, ${DISK_FORMATS.map((f) => `'${f}'`).join(', ')}]`);
      return;
    case 'container_format':
      if (value !== null && !(CONTAINER_FORMATS as readonly unknown[]).includes(value)) throw invalid(`${repr(value)} is not one of [null, ${CONTAINER_FORMATS.map((f) => `'${f}'`).join(', ')}]`);
      return;
    case 'min_disk':
    case 'min_ram':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`${repr(value)} is not of type 'integer'`);
      if (value < 0) throw invalid(`${value} is less than the minimum of 0`);
      if (value > MAX_INT) throw invalid(`${value} is greater than the maximum of ${MAX_INT}`);
      return;
    case 'tags':
      if (!Array.isArray(value)) throw invalid(`${repr(value)} is not of type 'array'`);
      for (const t of value) {
        if (typeof t !== 'string') throw invalid(`${repr(t)} is not of type 'string'`);
        if (t.length > 255) throw invalid(`${repr(t)} is too long`);
      }
      return;
  }
}

/** Base properties with a schema of their own (the rest only need to be strings). */
const BASE_PROPERTIES: Readonly<Record<string, 'uuid' | 'string'>> = { kernel_id: 'uuid', ramdisk_id: 'uuid', instance_uuid: 'string', architecture: 'string', os_distro: 'string', os_version: 'string', description: 'string' };

/** Validate a custom property; 400 unless the name is short enough and the value a string (or null for the uuid ones). */
export function validateProperty(name: string, value: unknown): void {
  if (name === '' || name.length > 255) throw invalid(`property name ${repr(name)} must have 1 to 255 characters`);
  if (BASE_PROPERTIES[name] === 'uuid') {
    if (value === null) return;
    if (typeof value !== 'string' || !UUID.test(value)) throw invalid(`${repr(value)} does not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'`);
    return;
  }
  if (typeof value !== 'string') throw invalid(`${repr(value)} is not of type 'string'`);
  if (value.length > 65535) throw invalid(`${repr(name)} is too long`);
}

/** True when `name` is a writable core attribute. */
export function isCore(name: string): name is WritableCore {
  return (WRITABLE_CORE as readonly string[]).includes(name);
}

/** True when `id` is a UUID as glance's schema requires of image ids. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** Validate a whole document (after a patch or on create). */
export function validateDocument(doc: ImageDocument): void {
  for (const name of WRITABLE_CORE) validateCore(name, doc[name]);
  for (const [k, v] of Object.entries(doc.properties)) validateProperty(k, v);
}
