/** Kysely table types of the image database; imported only by objects/ and migrations. */

/** A boolean column: written as boolean, read back as 0/1 on SQLite and MariaDB. */
export type BoolColumn = boolean | number;
/** A BIGINT column: a number (a string on MariaDB past 2^53, which image sizes never reach). */
export type BigIntColumn = number | string;

export interface ImageTable {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  protected: BoolColumn;
  os_hidden: BoolColumn;
  size: BigIntColumn | null;
  virtual_size: BigIntColumn | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  owner: string | null;
  /** Where the store keeps the data (`file:///…`), or null before an upload. */
  location: string | null;
  created_at: string;
  updated_at: string;
}

export interface ImagePropertyTable {
  image_id: string;
  name: string;
  value: string;
}

export interface ImageTagTable {
  image_id: string;
  value: string;
}

export interface ImageMemberTable {
  image_id: string;
  member: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface TaskTable {
  id: string;
  image_id: string;
  type: string;
  status: string;
  owner: string;
  user_id: string;
  request_id: string;
  input: string;
  result: string | null;
  message: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

export interface MetadefNamespaceTable {
  id: string;
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: BoolColumn;
  owner: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefResourceTypeTable {
  name: string;
  protected: BoolColumn;
  created_at: string;
  updated_at: string;
}

export interface MetadefAssociationTable {
  namespace_id: string;
  resource_type: string;
  prefix: string | null;
  properties_target: string | null;
  created_at: string;
  updated_at: string;
}

/** Objects, properties and tags of a namespace: one table, told apart by `kind`, the body kept as JSON. */
export interface MetadefItemTable {
  namespace_id: string;
  kind: 'object' | 'property' | 'tag';
  name: string;
  body: string;
  created_at: string;
  updated_at: string;
}

/** The image database. */
export interface ImageDatabase {
  images: ImageTable;
  image_properties: ImagePropertyTable;
  image_tags: ImageTagTable;
  image_members: ImageMemberTable;
  tasks: TaskTable;
  metadef_namespaces: MetadefNamespaceTable;
  metadef_resource_types: MetadefResourceTypeTable;
  metadef_associations: MetadefAssociationTable;
  metadef_items: MetadefItemTable;
}
