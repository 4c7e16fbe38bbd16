/** @module @strata/rpc — oslo.messaging semantics (call, cast, fanout, versioned envelopes) over memory:// or rabbit://. */
export { RpcClient, PreparedRpcClient } from './rpc-client.js';
export type { RpcClientOptions, PrepareOptions, SendOptions, RpcTarget } from './rpc-client.js';
export { RpcServer } from './rpc-server.js';
export type { RpcServerOptions, RpcServerState, RpcMethod } from './rpc-server.js';
export type { RpcContext, RpcTraceContext } from './rpc-context.js';
export { ENVELOPE_VERSION, decodeReply, decodeRequest, encodeReply, encodeRequest, isErrorReply } from './rpc-envelope.js';
export type { RpcRequest, RpcReply, RpcResultReply, RpcErrorReply } from './rpc-envelope.js';
export { parseRpcVersion, versionIsCompatible } from './rpc-version.js';
export type { RpcVersion } from './rpc-version.js';
export {
  MessagingTimeout,
  MessagingUnavailable,
  TransportClosed,
  UnsupportedRpcMethod,
  UnsupportedRpcVersion,
  RpcVersionCapError,
  InvalidRpcTarget,
  MalformedRpcMessage,
} from './rpc-errors.js';
export type { MessagingTimeoutFields } from './rpc-errors.js';
export { createTransport } from './create-transport.js';
export { RuntimeTransport } from './runtime-transport.js';
export type { TransportState } from './runtime-transport.js';
export { InProcessTransport } from './in-process-transport.js';
export { AmqpTransport } from './amqp-transport.js';
export type { AmqpTransportOptions } from './amqp-transport.js';
export type {
  Transport,
  TransportTarget,
  ListenTarget,
  RequestHandler,
  ReplySender,
  TransportListener,
  TransportCallOptions,
  TransportOptions,
} from './transport.js';
