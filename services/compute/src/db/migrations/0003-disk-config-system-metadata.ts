/** Instances remember their OS-DCF:diskConfig and keep nova's system metadata (e.g. shelved_image_id). */
import type { Kysely, Migration } from 'kysely';

export const diskConfigSystemMetadata: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('instances').addColumn('disk_config', 'varchar(16)', (c) => c.notNull().defaultTo('MANUAL')).execute();
    await db.schema.alterTable('instances').addColumn('system_metadata', 'text').execute();
  },
};
