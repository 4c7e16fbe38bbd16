/** The errors the RPC layer itself raises; matched by `code`, never by `instanceof`. */
import { OpenStackError, ServiceUnavailable, allowRemoteErrors, type ErrorOptions } from '@strata/errors';

/** What a timed-out call was addressed to. */
export interface MessagingTimeoutFields {
  readonly topic: string;
  readonly server: string | undefined;
  readonly method: string;
  readonly timeoutMs: number;
}

/**
 * 503 `MessagingTimeout`: no reply arrived within the call's timeout (nobody serves the topic, the
 * server is down or too slow). The request may still run on the server.
 */
export class MessagingTimeout extends ServiceUnavailable {
  readonly topic: string;
  readonly server: string | undefined;
  readonly method: string;
  readonly timeoutMs: number;

  constructor(fields: MessagingTimeoutFields) {
    const where = fields.server === undefined ? `topic ${fields.topic}` : `topic ${fields.topic} on server ${fields.server}`;
    super(
      `Timed out after ${fields.timeoutMs} ms waiting for a reply to ${fields.method} on ${where}`,
      { topic: fields.topic, server: fields.server ?? null, method: fields.method, timeoutMs: fields.timeoutMs },
      'MessagingTimeout',
    );
    this.topic = fields.topic;
    this.server = fields.server;
    this.method = fields.method;
    this.timeoutMs = fields.timeoutMs;
  }
}

/** 503 `MessagingUnavailable`: the broker could not be reached or did not accept a message. */
export class MessagingUnavailable extends ServiceUnavailable {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, {}, 'MessagingUnavailable', options);
  }
}

/** 503 `TransportClosed`: the transport was closed before or while this operation ran. */
export class TransportClosed extends ServiceUnavailable {
  constructor() {
    super('The RPC transport is closed', {}, 'TransportClosed');
  }
}

/** 500 `UnsupportedRpcMethod`: the server's endpoints have no public method of that name. */
export class UnsupportedRpcMethod extends OpenStackError {
  readonly method: string;
  constructor(topic: string, method: string) {
    super(500, 'UnsupportedRpcMethod', `Endpoint for topic ${topic} does not support RPC method ${method}`, { topic, method });
    this.method = method;
  }
}

/** 500 `UnsupportedRpcVersion`: the message targets a major version the server does not speak, or a newer minor. */
export class UnsupportedRpcVersion extends OpenStackError {
  readonly requested: string;
  readonly supported: string;
  constructor(topic: string, requested: string, supported: string) {
    super(500, 'UnsupportedRpcVersion', `Endpoint for topic ${topic} does not support RPC version ${requested} (server speaks ${supported})`, {
      topic,
      requested,
      supported,
    });
    this.requested = requested;
    this.supported = supported;
  }
}

/** 500 `RpcVersionCapError`: the client was asked to send a version above its `[upgrade_levels]` cap. */
export class RpcVersionCapError extends OpenStackError {
  constructor(topic: string, version: string, cap: string) {
    super(500, 'RpcVersionCapError', `Requested RPC version ${version} for topic ${topic} is incompatible with the version cap ${cap}`, {
      topic,
      version,
      cap,
    });
  }
}

/** 500 `InvalidRpcTarget`: a call or cast addressed in a way the RPC layer cannot send (e.g. a fanout call). */
export class InvalidRpcTarget extends OpenStackError {
  constructor(message: string) {
    super(500, 'InvalidRpcTarget', message);
  }
}

/** 500 `MalformedRpcMessage`: a message or reply that is not valid JSON of the envelope's shape. */
export class MalformedRpcMessage extends OpenStackError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(500, 'MalformedRpcMessage', message, {}, options);
  }
}

// NOTE: the RPC layer's own errors are rebuilt with their code on the caller's side, as
// oslo.messaging deserializes its own exceptions; everything else stays behind the allow-list.
allowRemoteErrors('MessagingTimeout', 'MessagingUnavailable', 'UnsupportedRpcMethod', 'UnsupportedRpcVersion');
