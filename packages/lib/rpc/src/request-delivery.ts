/** Turning a delivered request body into what a RequestHandler takes; shared by every transport. */
import type { Logger } from '@strata/log';
import { decodeRequest, encodeReply, type RpcRequest } from './rpc-envelope.js';
import type { ReplySender } from './transport.js';

/** A decoded request and the sender of its reply (calls only). */
export interface RequestDelivery {
  readonly request: RpcRequest;
  readonly reply: ReplySender | undefined;
}

/** Puts an encoded reply on the reply address `replyTo`; `msgId` is the reply's. */
export type ReplyPublisher = (replyTo: string, body: string, msgId: string) => Promise<void> | void;

/**
 * Decode a delivered request body. For a call (`replyTo` set) the reply sender encodes the reply
 * and hands it to `publish`. Returns undefined, after a warning with `logFields`, when the body
 * is not a valid request.
 */
export function openRequestDelivery(body: string, publish: ReplyPublisher, logger: Logger, logFields: object = {}): RequestDelivery | undefined {
  let request: RpcRequest;
  try {
    request = decodeRequest(body);
  } catch (err) {
    logger.warn({ err, ...logFields }, 'malformed rpc message dropped');
    return undefined;
  }
  const replyTo = request.replyTo;
  const reply: ReplySender | undefined =
    replyTo === undefined
      ? undefined
      : async (r) => {
          await publish(replyTo, encodeReply(r), r.msgId);
        };
  return { request, reply };
}
