/** The 51 steps of FLOW.md: which service each belongs to and what it is, for traces and the dashboard timeline. */

/** The groups FLOW.md sorts its steps into. */
export type FlowGroup = 'identity' | 'compute' | 'scheduling' | 'conductor' | 'image' | 'network' | 'storage' | 'hypervisor';

/** How a step travels: an HTTP call between services, an RPC message on the bus, or a database read/write. */
export type FlowKind = 'http' | 'rpc' | 'db';

/** One step of the flow. */
export interface FlowStep {
  readonly step: number;
  readonly group: FlowGroup;
  readonly title: string;
  /** The hop FLOW.md describes for the step. */
  readonly kind: FlowKind;
}

const G: ReadonlyArray<[FlowGroup, number, number]> = [
  ['identity', 1, 2],
  ['compute', 3, 8],
  ['scheduling', 9, 13],
  ['conductor', 14, 19],
  ['image', 20, 27],
  ['network', 28, 38],
  ['storage', 39, 50],
  ['hypervisor', 51, 51],
];

const TITLES: readonly string[] = [
  'user sends credentials to keystone',
  'keystone returns a scoped token',
  'user sends create server to nova-api',
  'nova-api asks keystone to validate the token',
  'keystone returns the validation result',
  'nova-api writes the server to the DB',
  'the DB confirms',
  'nova-api puts the build request on the queue',
  'nova-scheduler receives the request',
  'nova-scheduler queries the DB for hosts',
  'scheduler filters and weighs, picks a host',
  'scheduler casts to the chosen host',
  'nova-compute receives the build',
  'nova-compute asks conductor for the server',
  'nova-conductor receives the request',
  'nova-conductor queries the DB',
  'the DB returns the result',
  'nova-conductor replies on the queue',
  'nova-compute knows the resources needed',
  'nova-compute asks glance-api for the image',
  'glance-api validates the token with keystone',
  'keystone answers glance-api',
  'glance-api reads image metadata',
  'image record and location read from the DB',
  'metadata returned to glance-api',
  'glance-api fetches the image data from the store',
  'glance-api streams the image to nova-compute',
  'nova-compute asks neutron-server for ports',
  'neutron-server validates the token with keystone',
  'neutron-server puts the request on the queue',
  'the neutron plugin receives it',
  'the plugin reads the network from the DB',
  'the plugin puts the work on the queue',
  'the neutron agent wires the port',
  'the agent saves the result in the DB',
  'the agent reports completion',
  'neutron-server receives it',
  'neutron-server answers nova-compute',
  'nova-compute asks cinder-api for a volume',
  'cinder-api validates the token with keystone',
  'cinder-api puts the create request on the queue',
  'cinder-scheduler receives it',
  'cinder-scheduler picks a storage host',
  'cinder-scheduler casts to the volume service',
  'cinder-volume receives it',
  'cinder-volume calls its backend driver',
  'cinder-volume saves the volume in the DB',
  'cinder-volume reports on the queue',
  'cinder-api receives it',
  'cinder-api answers nova-compute',
  'nova-compute asks the hypervisor to start the VM',
];

/** The kind of each step, by ranges of FLOW.md (inclusive). */
const KINDS: ReadonlyArray<[FlowKind, number, number]> = [
  ['http', 1, 1], ['db', 2, 2], ['http', 3, 5], ['db', 6, 7], ['rpc', 8, 9], ['db', 10, 11], ['rpc', 12, 15], ['db', 16, 17],
  ['rpc', 18, 19], ['http', 20, 22], ['db', 23, 25], ['http', 26, 29], ['rpc', 30, 31], ['db', 32, 32], ['rpc', 33, 34],
  ['db', 35, 35], ['rpc', 36, 37], ['http', 38, 40], ['rpc', 41, 42], ['db', 43, 43], ['rpc', 44, 46], ['db', 47, 47],
  ['rpc', 48, 49], ['http', 50, 50], ['rpc', 51, 51],
];

/** Every step, 1 to 51. */
export const FLOW_STEPS: readonly FlowStep[] = TITLES.map((title, i) => {
  const step = i + 1;
  const group: FlowGroup = G.find(([, lo, hi]) => step >= lo && step <= hi)?.[0] ?? 'identity';
  const kind: FlowKind = KINDS.find(([, lo, hi]) => step >= lo && step <= hi)?.[0] ?? 'http';
  return Object.freeze({ step, group, title, kind });
});
