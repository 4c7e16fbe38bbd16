/** Formatting shared by the views: neutron's timestamps and the standard attributes. */
import type { StandardAttributes } from '../objects/common.js';

/** ISO 8601 without milliseconds, as neutron prints created_at/updated_at. */
export function timestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** `YYYY-MM-DD HH:MM:SS`, as neutron prints agent timestamps. */
export function agentTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '');
}

/** description, revision_number, created_at, updated_at (and tags). */
export function standardView(s: StandardAttributes & { tags?: readonly string[] }): Record<string, unknown> {
  return {
    description: s.description,
    ...(s.tags !== undefined ? { tags: [...s.tags] } : {}),
    created_at: timestamp(s.createdAt),
    updated_at: timestamp(s.updatedAt),
    revision_number: s.revisionNumber,
  };
}
