/** Builds every image response body exactly as glance's API reference shows them (top-level image objects, relative links). */
import type { Image } from '../objects/image.js';
import type { ImageMember } from '../objects/image-member.js';
import type { Task } from '../objects/task.js';

/** glance's timestamp style: seconds and a Z (`2024-01-30T12:00:00Z`). */
export function glanceTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** An image: custom properties at the top level, then the core attributes (which win). */
export function imageView(image: Image, storeId: string): Record<string, unknown> {
  const hasData = image.status === 'active' || image.status === 'deactivated';
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.osHidden,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    size: image.size,
    virtual_size: image.virtualSize,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    owner: image.owner,
    tags: [...image.tags],
    created_at: glanceTime(image.createdAt),
    updated_at: glanceTime(image.updatedAt),
    ...(hasData && image.location !== null ? { stores: storeId } : {}),
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
}

/** An image membership. */
export function memberView(m: ImageMember): Record<string, unknown> {
  return {
    created_at: glanceTime(m.createdAt),
    updated_at: glanceTime(m.updatedAt),
    image_id: m.imageId,
    member_id: m.memberId,
    status: m.status,
    schema: '/v2/schemas/member',
  };
}

/** An import task as `GET /v2/images/{id}/tasks` shows it. */
export function taskView(t: Task): Record<string, unknown> {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    owner: t.owner,
    input: t.input,
    result: t.result,
    message: t.message,
    image_id: t.imageId,
    request_id: t.requestId,
    user_id: t.userId,
    created_at: glanceTime(t.createdAt),
    updated_at: glanceTime(t.updatedAt),
    expires_at: t.expiresAt === null ? null : glanceTime(t.expiresAt),
  };
}
