/** Nova's power states (nova/compute/power_state.py): the integers the API shows as `OS-EXT-STS:power_state`. */

/**
 * The power state of a guest as the hypervisor sees it. The numbers are nova's and travel as
 * they are (DB column, RPC, API); 2 (BLOCKED) and 5 (FAILED) are retired in nova and never used.
 */
export const PowerState = {
  /** The hypervisor knows nothing of the guest (never spawned, or destroyed). */
  NOSTATE: 0,
  RUNNING: 1,
  /** Stopped by the hypervisor (pause); memory kept, no CPU time. */
  PAUSED: 3,
  /** No guest process; disks kept. A guest that powered itself off is here too. */
  SHUTDOWN: 4,
  /** The guest panicked or the hypervisor failed it. */
  CRASHED: 6,
  /** Memory saved to disk, no guest process (suspend). */
  SUSPENDED: 7,
} as const;

/** One of the numbers in PowerState. */
export type PowerState = (typeof PowerState)[keyof typeof PowerState];

/** The name nova's `power_state.STATE_MAP` gives each state (used in diagnostics and logs). */
export type PowerStateName = 'pending' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'suspended';

const NAMES: Readonly<Record<PowerState, PowerStateName>> = {
  0: 'pending',
  1: 'running',
  3: 'paused',
  4: 'shutdown',
  6: 'crashed',
  7: 'suspended',
};

/** The name of a power state, as nova's STATE_MAP has it. */
export function powerStateName(state: PowerState): PowerStateName {
  return NAMES[state];
}
