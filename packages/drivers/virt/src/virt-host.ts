/** The narrow callback a driver gets from nova-compute (nova/virt/virtapi.py): the driver reports, the manager decides. */

/** Power transitions a driver reports (nova's `virtevent.EVENT_LIFECYCLE_*`). */
export type LifecycleTransition = 'started' | 'stopped' | 'paused' | 'resumed' | 'suspended' | 'crashed';

/** A guest changed state, whether by an operation or on its own (a guest that powered itself off). */
export interface LifecycleEvent {
  readonly uuid: string;
  readonly transition: LifecycleTransition;
  /** ISO 8601 time the driver saw it. */
  readonly at: string;
}

/**
 * What a driver may call back into nova-compute. Implementations must not throw and must not
 * block: nova-compute queues events and syncs the power state from them (`handle_events`).
 */
export interface VirtHost {
  lifecycleEvent(event: LifecycleEvent): void;
}
