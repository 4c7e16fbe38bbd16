/** @module @strata/trace — FLOW.md steps recorded as events of a request's trace. */
export { Tracer, Trace, MemoryTraceSink } from './tracer.js';
export type { TraceEvent, TraceSink } from './tracer.js';
export { FLOW_STEPS } from './flow-steps.js';
export type { FlowStep, FlowGroup, FlowKind } from './flow-steps.js';
