/** Instance actions and their events (`os-instance-actions`). Version history: 1.0 - initial. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { NotFound } from '@strata/errors';
import { nowIso } from '@strata/db';
import type { ComputeDatabase, InstanceActionEventTable, InstanceActionTable } from '../db/schema.js';

/** One action on a server (create, stop, reboot, ...). */
export interface InstanceAction {
  readonly id: string;
  readonly requestId: string;
  readonly instanceId: string;
  readonly action: string;
  readonly projectId: string;
  readonly userId: string;
  readonly startTime: string;
  readonly finishTime: string | null;
  readonly message: string | null;
  readonly updatedAt: string;
}

/** One event of an action (a flow step, or a nova event like compute_build_and_run_instance). */
export interface InstanceActionEvent {
  readonly event: string;
  readonly startTime: string;
  readonly finishTime: string | null;
  readonly result: string | null;
  readonly traceback: string | null;
  readonly host: string | null;
  readonly details: string | null;
}

function actionFromRow(r: InstanceActionTable): InstanceAction {
  return { id: r.id, requestId: r.request_id, instanceId: r.instance_id, action: r.action, projectId: r.project_id, userId: r.user_id, startTime: r.start_time, finishTime: r.finish_time, message: r.message, updatedAt: r.updated_at };
}

function eventFromRow(r: InstanceActionEventTable): InstanceActionEvent {
  return { event: r.event, startTime: r.start_time, finishTime: r.finish_time, result: r.result, traceback: r.traceback, host: r.host, details: r.details };
}

/** Reads and writes actions and events. */
export class InstanceActionStore {
  readonly #db: Kysely<ComputeDatabase>;
  constructor(db: Kysely<ComputeDatabase>) {
    this.#db = db;
  }

  async start(a: { instanceId: string; requestId: string; action: string; projectId: string; userId: string }): Promise<InstanceAction> {
    const now = nowIso();
    const row: InstanceActionTable = { id: randomUUID(), request_id: a.requestId, instance_id: a.instanceId, action: a.action, project_id: a.projectId, user_id: a.userId, start_time: now, finish_time: null, message: null, updated_at: now };
    await this.#db.insertInto('instance_actions').values(row).execute();
    return actionFromRow(row);
  }

  async find(instanceId: string, requestId: string): Promise<InstanceAction | undefined> {
    const r = await this.#db.selectFrom('instance_actions').selectAll().where('instance_id', '=', instanceId).where('request_id', '=', requestId).orderBy('start_time', 'desc').executeTakeFirst();
    return r === undefined ? undefined : actionFromRow(r);
  }

  /** 404 InstanceActionNotFound. */
  async get(instanceId: string, requestId: string): Promise<InstanceAction> {
    const a = await this.find(instanceId, requestId);
    if (a === undefined) throw new NotFound(`Action for request_id ${requestId} on instance ${instanceId} not found`, { requestId }, 'InstanceActionNotFound');
    return a;
  }

  async list(instanceId: string): Promise<InstanceAction[]> {
    const rows = await this.#db.selectFrom('instance_actions').selectAll().where('instance_id', '=', instanceId).orderBy('start_time', 'desc').orderBy('id', 'desc').execute();
    return rows.map(actionFromRow);
  }

  async finish(instanceId: string, requestId: string, message: string | null): Promise<void> {
    const now = nowIso();
    await this.#db.updateTable('instance_actions').set({ finish_time: now, updated_at: now, ...(message !== null ? { message } : {}) }).where('instance_id', '=', instanceId).where('request_id', '=', requestId).execute();
  }

  /** Record events under the action of (instance, request); ignored when no such action. */
  async addEvents(instanceId: string, requestId: string, events: readonly InstanceActionEvent[]): Promise<void> {
    const a = await this.find(instanceId, requestId);
    if (a === undefined || events.length === 0) return;
    await this.#db
      .insertInto('instance_action_events')
      .values(events.map((e) => ({ id: randomUUID(), action_id: a.id, event: e.event, start_time: e.startTime, finish_time: e.finishTime, result: e.result, traceback: e.traceback, host: e.host, details: e.details })))
      .execute();
    await this.#db.updateTable('instance_actions').set({ updated_at: nowIso(), ...(events.some((e) => e.result === 'Error') ? { message: 'Error' } : {}) }).where('id', '=', a.id).execute();
  }

  async events(actionId: string): Promise<InstanceActionEvent[]> {
    const rows = await this.#db.selectFrom('instance_action_events').selectAll().where('action_id', '=', actionId).orderBy('start_time').execute();
    return rows.map(eventFromRow);
  }
}
