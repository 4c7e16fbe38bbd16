/** Metadata definitions (glance metadefs): namespaces, their resource-type associations, objects, properties and tags. */
import { randomUUID } from 'node:crypto';
import { nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { MetadefItemTable, MetadefNamespaceTable } from '../db/schema.js';
import type { ImageDb } from './common.js';

/** A namespace. */
export interface MetadefNamespace {
  readonly id: string;
  readonly namespace: string;
  readonly displayName: string | null;
  readonly description: string | null;
  readonly visibility: 'public' | 'private';
  readonly protected: boolean;
  readonly owner: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A resource-type association of a namespace. */
export interface MetadefAssociation {
  readonly resourceType: string;
  readonly prefix: string | null;
  readonly propertiesTarget: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What kind of item a namespace holds. */
export type MetadefKind = MetadefItemTable['kind'];

/** An object, property or tag; `body` is its JSON definition without the name. */
export interface MetadefItem {
  readonly kind: MetadefKind;
  readonly name: string;
  readonly body: Record<string, unknown>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

function nsFromRow(r: MetadefNamespaceTable): MetadefNamespace {
  return {
    id: r.id,
    namespace: r.namespace,
    displayName: r.display_name,
    description: r.description,
    visibility: r.visibility === 'public' ? 'public' : 'private',
    protected: toBool(r.protected),
    owner: r.owner,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function itemFromRow(r: MetadefItemTable): MetadefItem {
  return { kind: r.kind, name: r.name, body: parseJsonColumn<Record<string, unknown>>(r.body, {}), createdAt: r.created_at, updatedAt: r.updated_at };
}

/** Read and write metadata definitions. Unique violations surface as the DB's errors. */
export class MetadefRepo {
  readonly #db: ImageDb;
  constructor(db: ImageDb) {
    this.#db = db;
  }

  async createNamespace(n: { namespace: string; displayName: string | null; description: string | null; visibility: 'public' | 'private'; protected: boolean; owner: string }): Promise<MetadefNamespace> {
    const now = nowIso();
    const row: MetadefNamespaceTable = { id: randomUUID(), namespace: n.namespace, display_name: n.displayName, description: n.description, visibility: n.visibility, protected: n.protected, owner: n.owner, created_at: now, updated_at: now };
    await this.#db.insertInto('metadef_namespaces').values(row).execute();
    return nsFromRow(row);
  }

  async findNamespace(namespace: string): Promise<MetadefNamespace | undefined> {
    const r = await this.#db.selectFrom('metadef_namespaces').selectAll().where('namespace', '=', namespace).executeTakeFirst();
    return r === undefined ? undefined : nsFromRow(r);
  }

  async listNamespaces(): Promise<MetadefNamespace[]> {
    return (await this.#db.selectFrom('metadef_namespaces').selectAll().orderBy('namespace').execute()).map(nsFromRow);
  }

  async updateNamespace(id: string, n: { namespace: string; displayName: string | null; description: string | null; visibility: 'public' | 'private'; protected: boolean; owner: string }): Promise<void> {
    await this.#db
      .updateTable('metadef_namespaces')
      .set({ namespace: n.namespace, display_name: n.displayName, description: n.description, visibility: n.visibility, protected: n.protected, owner: n.owner, updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
  }

  async deleteNamespace(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('metadef_items').where('namespace_id', '=', id).execute();
      await trx.deleteFrom('metadef_associations').where('namespace_id', '=', id).execute();
      await trx.deleteFrom('metadef_namespaces').where('id', '=', id).execute();
    });
  }

  async listResourceTypes(): Promise<Array<{ name: string; createdAt: string; updatedAt: string }>> {
    return (await this.#db.selectFrom('metadef_resource_types').selectAll().orderBy('name').execute()).map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  /** Associate; the resource type is created when unknown, as glance does. */
  async associate(namespaceId: string, a: { resourceType: string; prefix: string | null; propertiesTarget: string | null }): Promise<MetadefAssociation> {
    const now = nowIso();
    await this.#db.transaction().execute(async (trx) => {
      const rt = await trx.selectFrom('metadef_resource_types').select('name').where('name', '=', a.resourceType).executeTakeFirst();
      if (rt === undefined) await trx.insertInto('metadef_resource_types').values({ name: a.resourceType, protected: false, created_at: now, updated_at: now }).execute();
      await trx.insertInto('metadef_associations').values({ namespace_id: namespaceId, resource_type: a.resourceType, prefix: a.prefix, properties_target: a.propertiesTarget, created_at: now, updated_at: now }).execute();
    });
    return { ...a, createdAt: now, updatedAt: now };
  }

  async associations(namespaceId: string): Promise<MetadefAssociation[]> {
    const rows = await this.#db.selectFrom('metadef_associations').selectAll().where('namespace_id', '=', namespaceId).orderBy('resource_type').execute();
    return rows.map((r) => ({ resourceType: r.resource_type, prefix: r.prefix, propertiesTarget: r.properties_target, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  /** Namespaces associated with any of `resourceTypes`. */
  async namespacesFor(resourceTypes: readonly string[]): Promise<Set<string>> {
    if (resourceTypes.length === 0) return new Set();
    const rows = await this.#db.selectFrom('metadef_associations').select('namespace_id').where('resource_type', 'in', [...resourceTypes]).execute();
    return new Set(rows.map((r) => r.namespace_id));
  }

  async dissociate(namespaceId: string, resourceType: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('metadef_associations').where('namespace_id', '=', namespaceId).where('resource_type', '=', resourceType).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async items(namespaceId: string, kind: MetadefKind): Promise<MetadefItem[]> {
    return (await this.#db.selectFrom('metadef_items').selectAll().where('namespace_id', '=', namespaceId).where('kind', '=', kind).orderBy('name').execute()).map(itemFromRow);
  }

  async findItem(namespaceId: string, kind: MetadefKind, name: string): Promise<MetadefItem | undefined> {
    const r = await this.#db.selectFrom('metadef_items').selectAll().where('namespace_id', '=', namespaceId).where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
    return r === undefined ? undefined : itemFromRow(r);
  }

  async createItem(namespaceId: string, kind: MetadefKind, name: string, body: Record<string, unknown>): Promise<MetadefItem> {
    const now = nowIso();
    const row: MetadefItemTable = { namespace_id: namespaceId, kind, name, body: JSON.stringify(body), created_at: now, updated_at: now };
    await this.#db.insertInto('metadef_items').values(row).execute();
    return itemFromRow(row);
  }

  /** Replace the items of a kind in one transaction (POST …/tags replaces every tag). */
  async replaceItems(namespaceId: string, kind: MetadefKind, items: ReadonlyArray<{ name: string; body: Record<string, unknown> }>): Promise<void> {
    const now = nowIso();
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('metadef_items').where('namespace_id', '=', namespaceId).where('kind', '=', kind).execute();
      if (items.length > 0) await trx.insertInto('metadef_items').values(items.map((i) => ({ namespace_id: namespaceId, kind, name: i.name, body: JSON.stringify(i.body), created_at: now, updated_at: now }))).execute();
    });
  }

  async updateItem(namespaceId: string, kind: MetadefKind, name: string, next: { name: string; body: Record<string, unknown> }): Promise<boolean> {
    const r = await this.#db
      .updateTable('metadef_items')
      .set({ name: next.name, body: JSON.stringify(next.body), updated_at: nowIso() })
      .where('namespace_id', '=', namespaceId)
      .where('kind', '=', kind)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteItem(namespaceId: string, kind: MetadefKind, name: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('metadef_items').where('namespace_id', '=', namespaceId).where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async deleteItems(namespaceId: string, kind: MetadefKind): Promise<void> {
    await this.#db.deleteFrom('metadef_items').where('namespace_id', '=', namespaceId).where('kind', '=', kind).execute();
  }
}
