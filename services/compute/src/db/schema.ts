/** Kysely table types of the compute database; imported only by objects/ and migrations. */

/** A boolean column: written as boolean, read back as 0/1 on SQLite and MariaDB. */
export type BoolColumn = boolean | number;

export interface InstanceTable {
  id: string;
  project_id: string;
  user_id: string;
  name: string;
  description: string | null;
  hostname: string;
  host: string | null;
  node: string | null;
  availability_zone: string | null;
  flavor_id: string;
  /** JSON: the flavor as it was at boot (nova's instance.flavor). */
  flavor: string;
  /** JSON: the flavor a resize goes to / came from. */
  new_flavor: string | null;
  old_flavor: string | null;
  image_ref: string;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  metadata: string;
  tags: string;
  config_drive: string;
  access_ip_v4: string;
  access_ip_v6: string;
  reservation_id: string;
  launch_index: number;
  locked: BoolColumn;
  locked_by: string | null;
  locked_reason: string | null;
  /** JSON: RequestedNetwork[] as the API received them. */
  requested_networks: string;
  /** JSON: BlockDeviceRequest[] as the API received them. */
  block_devices: string;
  /** JSON: security group names. */
  security_groups: string;
  scheduler_hints: string;
  /** JSON: NetworkInfo[], what neutron gave the build (addresses). */
  network_info: string;
  /** JSON: InstanceFault or null. */
  fault: string | null;
  server_group_id: string | null;
  root_device_name: string | null;
  progress: number;
  created_at: string;
  updated_at: string;
  launched_at: string | null;
  terminated_at: string | null;
  deleted: BoolColumn;
  deleted_at: string | null;
  disk_config: string;
  /** JSON: nova's system metadata (shelved_image_id, ...). */
  system_metadata: string | null;
}

export interface FlavorTable {
  id: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: BoolColumn;
  disabled: BoolColumn;
  description: string | null;
  extra_specs: string;
  created_at: string;
}

export interface FlavorProjectTable {
  flavor_id: string;
  project_id: string;
}

export interface KeypairTable {
  user_id: string;
  name: string;
  type: string;
  fingerprint: string;
  public_key: string;
  created_at: string;
}

export interface QuotaTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaUsageTable {
  project_id: string;
  resource: string;
  in_use: number;
}

export interface ServiceTable {
  uuid: string;
  num_id: number;
  host: string;
  binary: string;
  topic: string;
  disabled: BoolColumn;
  disabled_reason: string | null;
  forced_down: BoolColumn;
  report_count: number;
  last_seen_up: string | null;
  created_at: string;
  updated_at: string;
}

export interface ComputeNodeTable {
  uuid: string;
  num_id: number;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  host_ip: string;
  availability_zone: string;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  running_vms: number;
  cpu_allocation_ratio: number;
  ram_allocation_ratio: number;
  disk_allocation_ratio: number;
  cpu_info: string;
  updated_at: string;
}

/** What one instance holds on one host; released exactly on delete or failed build. */
export interface AllocationTable {
  instance_id: string;
  host: string;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
}

export interface InstanceActionTable {
  id: string;
  request_id: string;
  instance_id: string;
  action: string;
  project_id: string;
  user_id: string;
  start_time: string;
  finish_time: string | null;
  message: string | null;
  updated_at: string;
}

export interface InstanceActionEventTable {
  id: string;
  action_id: string;
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
  details: string | null;
}

export interface ServerGroupTable {
  id: string;
  name: string;
  policy: string;
  rules: string;
  project_id: string;
  user_id: string;
  created_at: string;
}

export interface ServerGroupMemberTable {
  group_id: string;
  instance_id: string;
}

export interface VolumeAttachmentTable {
  id: string;
  instance_id: string;
  volume_id: string;
  device: string;
  tag: string | null;
  delete_on_termination: BoolColumn;
  attachment_id: string | null;
  created_at: string;
}

export interface AggregateTable {
  id: number;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface AggregateHostTable {
  aggregate_id: number;
  host: string;
}

export interface AggregateMetadataTable {
  aggregate_id: number;
  key: string;
  value: string;
}

/** The compute database. */
export interface ComputeDatabase {
  instances: InstanceTable;
  flavors: FlavorTable;
  flavor_projects: FlavorProjectTable;
  keypairs: KeypairTable;
  quotas: QuotaTable;
  quota_usages: QuotaUsageTable;
  services: ServiceTable;
  compute_nodes: ComputeNodeTable;
  allocations: AllocationTable;
  instance_actions: InstanceActionTable;
  instance_action_events: InstanceActionEventTable;
  server_groups: ServerGroupTable;
  server_group_members: ServerGroupMemberTable;
  volume_attachments: VolumeAttachmentTable;
  aggregates: AggregateTable;
  aggregate_hosts: AggregateHostTable;
  aggregate_metadata: AggregateMetadataTable;
}
