/** Import tasks (glance's tasks API, v2.12 `GET /v2/images/{id}/tasks`): one per import request. */
import { randomUUID } from 'node:crypto';
import { nowIso, parseJsonColumn } from '@strata/db';
import type { TaskTable } from '../db/schema.js';
import type { ImageDb } from './common.js';

/** Task statuses, as glance spells them. */
export type TaskStatus = 'pending' | 'processing' | 'success' | 'failure';

/** An import task. */
export interface Task {
  readonly id: string;
  readonly imageId: string;
  readonly type: string;
  readonly status: TaskStatus;
  readonly owner: string;
  readonly userId: string;
  readonly requestId: string;
  readonly input: Record<string, unknown>;
  readonly result: Record<string, unknown> | null;
  readonly message: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string | null;
}

function fromRow(r: TaskTable): Task {
  return {
    id: r.id,
    imageId: r.image_id,
    type: r.type,
    status: r.status as TaskStatus,
    owner: r.owner,
    userId: r.user_id,
    requestId: r.request_id,
    input: parseJsonColumn<Record<string, unknown>>(r.input, {}),
    result: r.result === null ? null : parseJsonColumn<Record<string, unknown>>(r.result, {}),
    message: r.message,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
  };
}

/** Read and write tasks. */
export class TaskRepo {
  readonly #db: ImageDb;
  constructor(db: ImageDb) {
    this.#db = db;
  }

  /** Record a new task in `pending`. */
  async create(t: { imageId: string; owner: string; userId: string; requestId: string; input: Record<string, unknown> }): Promise<Task> {
    const now = nowIso();
    const row: TaskTable = {
      id: randomUUID(),
      image_id: t.imageId,
      type: 'api_image_import',
      status: 'pending',
      owner: t.owner,
      user_id: t.userId,
      request_id: t.requestId,
      input: JSON.stringify(t.input),
      result: null,
      message: '',
      created_at: now,
      updated_at: now,
      expires_at: null,
    };
    await this.#db.insertInto('tasks').values(row).execute();
    return fromRow(row);
  }

  /** Move a task on; expired tasks keep 48 hours as glance's task_time_to_live. */
  async update(id: string, status: TaskStatus, fields: { result?: Record<string, unknown>; message?: string } = {}): Promise<void> {
    const now = nowIso();
    const done = status === 'success' || status === 'failure';
    await this.#db
      .updateTable('tasks')
      .set({
        status,
        updated_at: now,
        ...(fields.result !== undefined ? { result: JSON.stringify(fields.result) } : {}),
        ...(fields.message !== undefined ? { message: fields.message } : {}),
        ...(done ? { expires_at: new Date(Date.now() + 48 * 3_600_000).toISOString() } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Tasks of an image, newest first. */
  async listForImage(imageId: string): Promise<Task[]> {
    return (await this.#db.selectFrom('tasks').selectAll().where('image_id', '=', imageId).orderBy('created_at', 'desc').execute()).map(fromRow);
  }
}
