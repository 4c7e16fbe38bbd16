/** The versioned message envelope and reply, and their JSON codec shared by every transport. */
import type { WireError } from '@strata/errors';
import { rpcContextProblem, type RpcContext } from './rpc-context.js';
import { MalformedRpcMessage } from './rpc-errors.js';
import { parseRpcVersion } from './rpc-version.js';

/** The envelope format this code writes and reads; bumped only when the envelope shape changes. */
export const ENVELOPE_VERSION = 1;

/** One RPC request as it travels: a method, its JSON arguments, the caller's context and the API version it targets. */
export interface RpcRequest {
  readonly v: typeof ENVELOPE_VERSION;
  readonly method: string;
  /** The method's keyword arguments: a JSON object. */
  readonly args: object;
  readonly ctx: RpcContext;
  /** The RPC API version (`X.Y`) the sender targets. */
  readonly version: string;
  /** Unique per message; correlates the reply. */
  readonly msgId: string;
  /** Where the reply goes; set by the transport for calls, absent for casts. */
  readonly replyTo?: string;
  /** ISO-8601 time the sender built the message. */
  readonly sentAt: string;
}

/** A successful reply; `result` is `null` when the method returned nothing. */
export interface RpcResultReply {
  readonly msgId: string;
  readonly result: unknown;
}

/** A failed reply: the handler's error in wire form. */
export interface RpcErrorReply {
  readonly msgId: string;
  readonly error: WireError;
}

/** The reply to a call. */
export type RpcReply = RpcResultReply | RpcErrorReply;

function stringify(value: unknown, what: string): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new MalformedRpcMessage(`${what} is not JSON-serializable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedRpcMessage(`${what} is not valid JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedRpcMessage(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Serialize a request; throws MalformedRpcMessage when its args are not JSON-serializable. */
export function encodeRequest(request: RpcRequest): string {
  return stringify(request, `arguments of RPC method ${request.method}`);
}

/** Parse and validate a request; throws MalformedRpcMessage on anything that is not a v1 envelope. */
export function decodeRequest(text: string): RpcRequest {
  const m = parseObject(text, 'RPC message');
  if (m.v !== ENVELOPE_VERSION) throw new MalformedRpcMessage(`unsupported RPC envelope version ${JSON.stringify(m.v)}`);
  if (typeof m.method !== 'string' || m.method === '') throw new MalformedRpcMessage('RPC message has no method');
  if (typeof m.msgId !== 'string' || m.msgId === '') throw new MalformedRpcMessage('RPC message has no msgId');
  if (typeof m.args !== 'object' || m.args === null || Array.isArray(m.args)) throw new MalformedRpcMessage('RPC message args is not an object');
  if (typeof m.version !== 'string' || parseRpcVersion(m.version) === undefined) throw new MalformedRpcMessage('RPC message has no valid version');
  if (m.replyTo !== undefined && typeof m.replyTo !== 'string') throw new MalformedRpcMessage('RPC message replyTo is not a string');
  if (typeof m.sentAt !== 'string') throw new MalformedRpcMessage('RPC message has no sentAt');
  const problem = rpcContextProblem(m.ctx);
  if (problem !== undefined) throw new MalformedRpcMessage(`RPC message ${problem}`);
  return m as unknown as RpcRequest;
}

/** Serialize a reply; throws MalformedRpcMessage when the result is not JSON-serializable. */
export function encodeReply(reply: RpcReply): string {
  return stringify(reply, 'RPC result');
}

/** Parse and validate a reply; throws MalformedRpcMessage when it is not one. */
export function decodeReply(text: string): RpcReply {
  const m = parseObject(text, 'RPC reply');
  if (typeof m.msgId !== 'string') throw new MalformedRpcMessage('RPC reply has no msgId');
  if (m.error !== undefined) {
    const e = m.error as Record<string, unknown> | null;
    const valid =
      typeof e === 'object' &&
      e !== null &&
      typeof e.name === 'string' &&
      typeof e.code === 'string' &&
      typeof e.status === 'number' &&
      typeof e.message === 'string' &&
      typeof e.fields === 'object' &&
      e.fields !== null;
    if (!valid) throw new MalformedRpcMessage('RPC reply error is not a wire error');
    return { msgId: m.msgId, error: e as unknown as WireError };
  }
  return { msgId: m.msgId, result: m.result === undefined ? null : m.result };
}

/** True when the reply carries an error. */
export function isErrorReply(reply: RpcReply): reply is RpcErrorReply {
  return 'error' in reply;
}
