/** Picks and opens the transport a `[messaging] transport_url` names. */
import { AmqpTransport } from './amqp-transport.js';
import { InProcessTransport } from './in-process-transport.js';
import { RuntimeTransport } from './runtime-transport.js';
import type { TransportOptions } from './transport.js';

/**
 * Open the transport for `url`: `memory://` (in-process; every transport of the process with the
 * same URL shares one broker) or `rabbit://user:pass@host:port/vhost`. Returns it wrapped in a
 * RuntimeTransport, so `close()` drains and is idempotent. Throws a TypeError for any other
 * scheme or a malformed URL, and MessagingUnavailable when RabbitMQ is not reachable within
 * `connectTimeoutMs`.
 */
export async function createTransport(url: string, options: TransportOptions = {}): Promise<RuntimeTransport> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      return new RuntimeTransport(new InProcessTransport(url, options));
    case 'rabbit':
      return new RuntimeTransport(await AmqpTransport.create(url, options));
    default:
      throw new TypeError(
        scheme === undefined
          ? 'transport_url must look like memory:// or rabbit://user:pass@host:port/vhost'
          : `transport_url scheme ${scheme}:// is not supported (expected memory:// or rabbit://)`,
      );
  }
}
