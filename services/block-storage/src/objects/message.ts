/**
 * User messages (API 3.3): what went wrong with a user's resource after the API answered 202,
 * e.g. "No valid backend was found" from the scheduler.
 */
import { randomUUID } from 'node:crypto';
import { NotFound } from '@strata/errors';
import { nowIso } from '@strata/db';
import type { MessageTable } from '../db/schema.js';
import type { BlockStorageDb } from './common.js';

/** A user message. */
export interface UserMessage {
  readonly id: string;
  readonly projectId: string;
  readonly requestId: string;
  readonly resourceType: string;
  readonly resourceUuid: string | null;
  readonly eventId: string;
  readonly messageLevel: string;
  readonly userMessage: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** cinder's message actions and details (cinder/message/message_field.py). */
export const MessageActions = {
  scheduleAllocateVolume: { id: '001', text: 'schedule allocate volume' },
  attachVolume: { id: '002', text: 'attach volume' },
  copyVolumeToImage: { id: '003', text: 'copy volume to image' },
  copyImageToVolume: { id: '005', text: 'copy image to volume' },
  createVolumeFromBackend: { id: '006', text: 'create volume from backend storage' },
  snapshotCreate: { id: '007', text: 'create snapshot' },
  snapshotDelete: { id: '008', text: 'delete snapshot' },
  extendVolume: { id: '013', text: 'extend volume' },
  reimage: { id: '020', text: 'reimage volume' },
} as const;

/** A message's detail: cinder's detail id and the text shown. */
export interface MessageDetail {
  readonly id: string;
  readonly text: string;
}

/** The details we raise. */
export const MessageDetails = {
  unknownError: { id: '001', text: 'An unknown error occurred.' },
  driverNotInitialized: { id: '002', text: 'Driver is not initialized at present.' },
  noBackend: { id: '003', text: 'Could not find any available weighted backend.' },
  failedToUploadVolume: { id: '004', text: 'Failed to upload volume to image at backend.' },
  imageFromVolumeOverQuota: { id: '009', text: 'Image used for creating volume exceeds available space.' },
  notEnoughSpaceForImage: { id: '018', text: 'Not enough space in the backend to copy the image.' },
} as const;

function fromRow(r: MessageTable): UserMessage {
  return {
    id: r.id,
    projectId: r.project_id,
    requestId: r.request_id,
    resourceType: r.resource_type,
    resourceUuid: r.resource_uuid,
    eventId: r.event_id,
    messageLevel: r.message_level,
    userMessage: r.user_message,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}

/** 404 MessageNotFound. */
export class MessageNotFound extends NotFound {
  constructor(id: string) {
    super(`Message ${id} could not be found.`, { messageId: id }, 'MessageNotFound');
  }
}

/** Read and write user messages. */
export class MessageStore {
  readonly #db: BlockStorageDb;
  readonly #ttlMs: number;
  constructor(db: BlockStorageDb, ttlMs = 30 * 86_400_000) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  /** Record an error message about a resource; `explanation` is appended to the detail text. */
  async create(m: { projectId: string; requestId: string; resourceType: 'VOLUME' | 'VOLUME_SNAPSHOT' | 'IMAGE_CACHE'; resourceUuid: string | null; action: { id: string; text: string }; detail: MessageDetail; explanation?: string }): Promise<UserMessage> {
    const now = new Date();
    const row: MessageTable = {
      id: randomUUID(),
      project_id: m.projectId,
      request_id: m.requestId,
      resource_type: m.resourceType,
      resource_uuid: m.resourceUuid,
      event_id: `VOLUME_${m.resourceType}_${m.action.id}_${m.detail.id}`,
      message_level: 'ERROR',
      action_id: m.action.id,
      detail_id: m.detail.id,
      user_message: `${m.action.text}: ${m.detail.text}${m.explanation !== undefined ? ` ${m.explanation}` : ''}`,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.#ttlMs).toISOString(),
    };
    await this.#db.insertInto('messages').values(row).execute();
    return fromRow(row);
  }

  async get(id: string): Promise<UserMessage> {
    const r = await this.#db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new MessageNotFound(id);
    return fromRow(r);
  }

  async list(filter: { projectId?: string; resourceUuid?: string } = {}): Promise<UserMessage[]> {
    let q = this.#db.selectFrom('messages').selectAll().where('expires_at', '>', nowIso()).orderBy('created_at', 'desc');
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    if (filter.resourceUuid !== undefined) q = q.where('resource_uuid', '=', filter.resourceUuid);
    return (await q.execute()).map(fromRow);
  }

  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('messages').where('id', '=', id).execute();
  }
}
