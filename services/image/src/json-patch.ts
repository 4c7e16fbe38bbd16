/**
 * Glance's JSON patch for images: both media types (v2.0's draft-04 `{"replace": "/name"}` and v2.1's RFC 6902
 * `{"op": "replace", "path": "/name"}`), add/replace/remove of top-level attributes, with glance's rules.
 */
import { BadRequest, Conflict, Forbidden } from '@strata/errors';
import { checkWritable, isCore, validateCore, validateProperty, type ImageDocument } from './image-schema.js';

/** The two patch media types glance takes. */
export const PATCH_V20 = 'application/openstack-images-v2.0-json-patch';
export const PATCH_V21 = 'application/openstack-images-v2.1-json-patch';

/** One decoded patch operation on a top-level attribute. */
export interface PatchOp {
  readonly op: 'add' | 'replace' | 'remove';
  /** The attribute, unescaped (`/a~1b` → `a/b`). */
  readonly attribute: string;
  readonly value?: unknown;
}

const OPS = ['add', 'replace', 'remove'] as const;

function bad(message: string): BadRequest {
  return new BadRequest(message, {}, 'InvalidJsonPatch');
}

/** Decode a JSON pointer that names one top-level attribute; 400 for anything else. */
export function parsePointer(pointer: unknown): string {
  if (typeof pointer !== 'string') throw bad('Unable to find `path` in JSON Schema change. It must be a string.');
  if (!pointer.startsWith('/')) throw bad(`Pointer \`${pointer}\` does not start with "/".`);
  if (/~(?![01])/.test(pointer)) throw bad(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  const parts = pointer.slice(1).split('/');
  if (parts.length !== 1 || parts[0] === '') throw bad(`Invalid JSON pointer for this resource: '${pointer}'`);
  return (parts[0] as string).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Decode a patch body of `mediaType`; 400 when it is not a list of well-formed add/replace/remove operations. */
export function parsePatch(body: unknown, mediaType: typeof PATCH_V20 | typeof PATCH_V21): PatchOp[] {
  if (!Array.isArray(body)) throw bad('Request body must be a JSON array of operation objects.');
  return body.map((raw: unknown): PatchOp => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('Operations must be JSON objects.');
    const o = raw as Record<string, unknown>;
    let op: string;
    let path: unknown;
    if (mediaType === PATCH_V21) {
      if (typeof o.op !== 'string') throw bad('Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.');
      op = o.op;
      path = o.path;
      if (!('path' in o)) throw bad('Unable to find `path` in JSON Schema change.');
    } else {
      const present = OPS.filter((k) => k in o);
      if (present.length !== 1) throw bad('Operation objects must contain exactly one member named "add", "remove", or "replace".');
      op = present[0] as string;
      path = o[op];
    }
    if (!(OPS as readonly string[]).includes(op)) throw bad(`Invalid operation: \`${op}\`. It must be one of the following: add, remove, replace.`);
    // NOTE: locations stay invisible (show_multiple_locations = False), so glance refuses to touch them.
    if (typeof path === 'string' && (path === '/locations' || path.startsWith('/locations/'))) {
      throw new Forbidden(`It's not allowed to ${op === 'remove' ? 'remove' : op === 'add' ? 'add' : 'update'} locations if locations are invisible.`, {}, 'LocationsInvisible');
    }
    const attribute = parsePointer(path);
    if (op !== 'remove') {
      if (!('value' in o)) throw bad(`Operation "${op}" requires a member named "value".`);
      return { op: op as PatchOp['op'], attribute, value: o.value };
    }
    return { op: 'remove', attribute };
  });
}

/**
 * Apply `ops` to a copy of `doc` as glance does, all or nothing:
 * read-only/reserved attributes are 403; removing a core attribute is 403; replacing or removing
 * a missing property is 409; with the v2.0 media type, adding an existing one is 409; values
 * are checked against the image schema (400).
 */
export function applyPatch(doc: ImageDocument, ops: readonly PatchOp[], mediaType: typeof PATCH_V20 | typeof PATCH_V21): ImageDocument {
  const next: ImageDocument = { ...doc, tags: [...doc.tags], properties: { ...doc.properties } };
  for (const { op, attribute, value } of ops) {
    checkWritable(attribute);
    if (isCore(attribute)) {
      if (op === 'remove') throw new Forbidden(`Property ${attribute} may not be removed.`, { attribute }, 'CorePropertyRemoval');
      if (op === 'add' && mediaType === PATCH_V20) throw new Conflict(`Property ${attribute} already present.`, { attribute }, 'PropertyExists');
      validateCore(attribute, value);
      if (attribute === 'tags') next.tags = [...new Set(value as string[])];
      else (next as unknown as Record<string, unknown>)[attribute] = value;
      continue;
    }
    const exists = Object.hasOwn(next.properties, attribute);
    if (op === 'remove') {
      if (!exists) throw new Conflict(`Property ${attribute} does not exist.`, { attribute }, 'PropertyNotFound');
      delete next.properties[attribute];
      continue;
    }
    if (op === 'replace' && !exists) throw new Conflict(`Property ${attribute} does not exist.`, { attribute }, 'PropertyNotFound');
    if (op === 'add' && exists && mediaType === PATCH_V20) throw new Conflict(`Property ${attribute} already present.`, { attribute }, 'PropertyExists');
    validateProperty(attribute, value);
    if (value === null) delete next.properties[attribute];
    else next.properties[attribute] = value as string;
  }
  return next;
}
