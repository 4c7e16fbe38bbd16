/** The [compute] config group: nova's ports, hypervisor driver, scheduling ratios, heartbeats and quota defaults. */
import { durationOpt, enumOpt, intOpt, portOpt, stringOpt } from '@strata/config';

/** Options of nova (nova-api, nova-scheduler, nova-conductor, nova-compute). */
export const computeSchema = {
  compute: {
    port: portOpt(8774, 'Port of the Compute v2.1 API.'),
    metadata_port: portOpt(8775, 'Port of the metadata API.'),
    metadata_proxy_shared_secret: stringOpt('', 'Secret the metadata proxy (neutron\'s relay) signs X-Instance-ID with (HMAC-SHA256); the metadata API answers only requests with a matching X-Instance-ID-Signature. Empty: `strata up` generates one on first start and keeps it in <data-dir>/service-credentials.json, where `strata host` reads it. Possible values: any string.'),
    novncproxy_port: portOpt(6080, 'Port of the noVNC proxy (websocket to a server\'s VNC console).'),
    driver: enumOpt('fake', ['fake', 'qemu', 'auto'], 'Hypervisor driver of the compute host this process runs. Possible values: fake (in-memory, instant), qemu (real VMs: needs qemu-system-x86), auto (qemu where qemu-system-x86_64 runs, else fake; what `npm start` uses).'),
    host: stringOpt('', 'Name of this compute host; empty means the machine host name. Possible values: a host name.'),
    service_password: stringOpt('', "Password of nova's service user `nova` (project `service`, roles admin and service), which nova authenticates as for its calls to other services (neutron port bindings, the metadata API's lookups). Possible values: any string; empty means a generated one, kept in <data-dir>/service-credentials.json. A set value wins: bootstrap resets the user's password to it."),
    fake_hosts: intOpt(0, 'Extra fake compute hosts to run in this process (for scale runs), named <host>-fake-<n>. Possible values: 0 or more.', 0, 100_000),
    default_availability_zone: stringOpt('nova', 'Availability zone of compute hosts. Possible values: any name.'),
    cpu_allocation_ratio: stringOpt('16.0', 'Virtual CPUs per physical CPU the scheduler allows. Possible values: a positive number.', (v) => (Number(v) > 0 ? undefined : 'must be a positive number')),
    ram_allocation_ratio: stringOpt('1.5', 'Virtual RAM per physical RAM the scheduler allows. Possible values: a positive number.', (v) => (Number(v) > 0 ? undefined : 'must be a positive number')),
    disk_allocation_ratio: stringOpt('1.0', 'Virtual disk per physical disk the scheduler allows. Possible values: a positive number.', (v) => (Number(v) > 0 ? undefined : 'must be a positive number')),
    fake_vcpus: intOpt(64, 'vCPUs the fake driver reports per host.', 1, 1_000_000),
    fake_memory_mb: intOpt(262_144, 'Memory (MB) the fake driver reports per host.', 1, 1_000_000_000),
    fake_local_gb: intOpt(4096, 'Disk (GB) the fake driver reports per host.', 1, 1_000_000_000),
    report_interval: durationOpt(10_000, 'How often a compute host reports its resources and heartbeat.', 100),
    service_down_time: durationOpt(60_000, 'A service not heard from for this long is down and not scheduled to.', 1000),
    max_attempts: intOpt(3, 'Hosts a build is tried on (the first plus reschedules) before the server goes to ERROR.', 1, 100),
    vif_plugging_timeout: durationOpt(20_000, 'How long nova-compute waits for neutron\'s network-vif-plugged event; past it the build fails.', 0),
    quota_instances: intOpt(10, 'Default quota: servers per project (-1: unlimited).', -1),
    quota_cores: intOpt(20, 'Default quota: vCPUs per project (-1: unlimited).', -1),
    quota_ram: intOpt(51_200, 'Default quota: RAM (MB) per project (-1: unlimited).', -1),
    quota_key_pairs: intOpt(100, 'Default quota: key pairs per user (-1: unlimited).', -1),
    quota_metadata_items: intOpt(128, 'Default quota: metadata items per server (-1: unlimited).', -1),
    quota_server_groups: intOpt(10, 'Default quota: server groups per project (-1: unlimited).', -1),
    quota_server_group_members: intOpt(10, 'Default quota: servers per server group (-1: unlimited).', -1),
  },
} as const;
