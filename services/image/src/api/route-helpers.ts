/** Edge helpers the image routes share: media-type checks, request bodies as streams, and HTTP ranges. */
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OpenStackError, UnsupportedMediaType } from '@strata/errors';

/** The media type of a request without its parameters, lowercased. */
export function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** An onRequest hook answering 415 unless the body is one of `types` (checked before the body is read). */
export function requireMediaType(...types: readonly string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const mt = mediaTypeOf(request);
    if (!types.includes(mt)) throw new UnsupportedMediaType(`Unsupported Content-Type: ${mt === '' ? '(none)' : mt}. Expected ${types.join(' or ')}.`, { mediaType: mt });
  };
}

/** The most of a failed upload's body we read and throw away so the client still gets our answer. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * The request body as a stream the service may fail on without destroying the request itself:
 * `discard()` then reads and drops the rest (up to 64 MiB, then the connection is cut), so an
 * early 4xx reaches a client that sends the whole body before it reads the response.
 */
export function uploadBody(source: Readable): { readonly stream: PassThrough; discard(): void } {
  const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  source.pipe(stream);
  source.once('error', (err) => stream.destroy(err));
  source.once('close', () => {
    if (!source.readableEnded) stream.destroy(new Error('the client closed the connection before the upload ended'));
  });
  return {
    stream,
    discard: () => {
      source.unpipe(stream);
      if (source.readableEnded || source.destroyed) return;
      let dropped = 0;
      source.on('data', (chunk: Buffer) => {
        dropped += chunk.length;
        if (dropped > DISCARD_LIMIT) source.destroy();
      });
      source.resume();
    },
  };
}

/** 416 with the Content-Range glance sends for an unsatisfiable range. */
export class RangeNotSatisfiable extends OpenStackError {
  readonly size: number;
  constructor(size: number) {
    super(416, 'RangeNotSatisfiable', 'Requested range not satisfiable', { size });
    this.size = size;
  }
}

/**
 * The one byte range a download asks for (`Range: bytes=a-b`, `bytes=a-`, `bytes=-n`, or glance's
 * legacy `Content-Range: bytes a-b/*`), checked against `size`; undefined for the whole image.
 * Throws RangeNotSatisfiable for a range outside the image or several ranges.
 */
export function parseRange(request: FastifyRequest, size: number): { offset: number; length: number } | undefined {
  const range = request.headers.range;
  const contentRange = request.headers['content-range'];
  if (typeof range === 'string' && range.trim() !== '') {
    const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
    if (m === null || (m[1] === '' && m[2] === '')) throw new RangeNotSatisfiable(size);
    let start: number;
    let end: number;
    if (m[1] === '') {
      const n = Number(m[2]);
      if (n === 0) throw new RangeNotSatisfiable(size);
      start = Math.max(0, size - n);
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || end < start) throw new RangeNotSatisfiable(size);
    return { offset: start, length: end - start + 1 };
  }
  if (typeof contentRange === 'string' && contentRange.trim() !== '') {
    const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(contentRange);
    if (m === null) throw new RangeNotSatisfiable(size);
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (start >= size || end < start || end >= size) throw new RangeNotSatisfiable(size);
    return { offset: start, length: end - start + 1 };
  }
  return undefined;
}

/** Answer 204 with no body. */
export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}
