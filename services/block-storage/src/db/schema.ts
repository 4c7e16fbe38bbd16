/** Kysely table types of the block-storage (cinder) database; imported only by objects/ and migrations. */

/** A boolean column: written as boolean, read back as 0/1 on SQLite and MariaDB. */
export type BoolColumn = boolean | number;

export interface VolumeTable {
  id: string;
  project_id: string;
  user_id: string;
  display_name: string | null;
  display_description: string | null;
  size: number;
  status: string;
  /** detached, reserved, attaching, attached, detaching, error_attaching, error_detaching. */
  attach_status: string;
  /** The status before a detach began, to roll back to. */
  previous_status: string | null;
  migration_status: string | null;
  availability_zone: string;
  /** `host@backend#pool` once scheduled. */
  host: string | null;
  volume_type_id: string;
  snapshot_id: string | null;
  source_volid: string | null;
  group_id: string | null;
  bootable: BoolColumn;
  multiattach: BoolColumn;
  replication_status: string | null;
  provider_location: string | null;
  provider_id: string | null;
  encryption_key_id: string | null;
  service_uuid: string | null;
  use_quota: BoolColumn;
  /** JSON: cinder's admin metadata (readonly, attached_mode). */
  admin_metadata: string;
  /** JSON: the glance image properties the volume was made from (volume_image_metadata). */
  image_metadata: string;
  created_at: string;
  updated_at: string | null;
  launched_at: string | null;
  terminated_at: string | null;
}

export interface MetadataTable {
  resource_id: string;
  key: string;
  value: string;
}

export interface SnapshotTable {
  id: string;
  volume_id: string;
  project_id: string;
  user_id: string;
  display_name: string | null;
  display_description: string | null;
  status: string;
  progress: string;
  volume_size: number;
  volume_type_id: string;
  provider_location: string | null;
  group_snapshot_id: string | null;
  use_quota: BoolColumn;
  created_at: string;
  updated_at: string | null;
}

export interface VolumeTypeTable {
  id: string;
  name: string;
  description: string | null;
  is_public: BoolColumn;
  qos_specs_id: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface VolumeTypeExtraSpecTable {
  volume_type_id: string;
  key: string;
  value: string;
}

export interface VolumeTypeProjectTable {
  volume_type_id: string;
  project_id: string;
}

export interface EncryptionTable {
  volume_type_id: string;
  encryption_id: string;
  provider: string;
  control_location: string;
  cipher: string | null;
  key_size: number | null;
  created_at: string;
  updated_at: string | null;
}

export interface DefaultTypeTable {
  project_id: string;
  volume_type_id: string;
}

export interface AttachmentTable {
  id: string;
  volume_id: string;
  project_id: string;
  instance_uuid: string | null;
  attached_host: string | null;
  mountpoint: string | null;
  /** reserved, attaching, attached, detaching, detached, error_attaching, error_detaching. */
  attach_status: string;
  attach_mode: string;
  /** JSON connector, or null before os-initialize_connection / attachment update. */
  connector: string | null;
  /** JSON connection info as handed out. */
  connection_info: string | null;
  attach_time: string | null;
  detach_time: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface QuotaTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaClassTable {
  class_name: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaUsageTable {
  project_id: string;
  resource: string;
  in_use: number;
}

export interface ServiceTable {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  topic: string;
  availability_zone: string;
  disabled: BoolColumn;
  disabled_reason: string | null;
  report_count: number;
  frozen: BoolColumn;
  /** JSON capabilities of a cinder-volume backend (vendor, protocol, volume_backend_name...). */
  capabilities: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface PoolTable {
  /** `host@backend`. */
  backend: string;
  pool: string;
  total_capacity_gb: number;
  free_capacity_gb: number;
  /** GiB claimed by volumes scheduled here (the scheduler's atomic counter). */
  allocated_capacity_gb: number;
  reserved_percentage: number;
  max_over_subscription_ratio: number;
  thin_provisioning_support: BoolColumn;
  thick_provisioning_support: BoolColumn;
  /** JSON of the pool's other capabilities. */
  capabilities: string;
  updated_at: string;
}

export interface MessageTable {
  id: string;
  project_id: string;
  request_id: string;
  resource_type: string;
  resource_uuid: string | null;
  event_id: string;
  message_level: string;
  action_id: string;
  detail_id: string;
  user_message: string;
  created_at: string;
  expires_at: string;
}

export interface TransferTable {
  id: string;
  volume_id: string;
  display_name: string | null;
  salt: string;
  crypt_hash: string;
  no_snapshots: BoolColumn;
  source_project_id: string;
  destination_project_id: string | null;
  accepted: BoolColumn;
  created_at: string;
  updated_at: string | null;
}

export interface QosSpecTable {
  id: string;
  name: string;
  consumer: string;
  specs: string;
  created_at: string;
}

export interface GroupTypeTable {
  id: string;
  name: string;
  description: string | null;
  is_public: BoolColumn;
  created_at: string;
}

export interface GroupTypeSpecTable {
  group_type_id: string;
  key: string;
  value: string;
}

export interface GroupTable {
  id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  status: string;
  availability_zone: string;
  group_type_id: string;
  group_snapshot_id: string | null;
  source_group_id: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface GroupVolumeTypeTable {
  group_id: string;
  volume_type_id: string;
}

export interface GroupSnapshotTable {
  id: string;
  group_id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  status: string;
  group_type_id: string;
  created_at: string;
  updated_at: string | null;
}

/** Every table of the block-storage database. */
export interface BlockStorageDatabase {
  volumes: VolumeTable;
  volume_metadata: MetadataTable;
  snapshots: SnapshotTable;
  snapshot_metadata: MetadataTable;
  volume_types: VolumeTypeTable;
  volume_type_extra_specs: VolumeTypeExtraSpecTable;
  volume_type_projects: VolumeTypeProjectTable;
  volume_type_encryption: EncryptionTable;
  default_volume_types: DefaultTypeTable;
  volume_attachments: AttachmentTable;
  quotas: QuotaTable;
  quota_classes: QuotaClassTable;
  quota_usages: QuotaUsageTable;
  services: ServiceTable;
  pools: PoolTable;
  messages: MessageTable;
  transfers: TransferTable;
  qos_specs: QosSpecTable;
  group_types: GroupTypeTable;
  group_type_specs: GroupTypeSpecTable;
  groups: GroupTable;
  group_volume_types: GroupVolumeTypeTable;
  group_snapshots: GroupSnapshotTable;
}
