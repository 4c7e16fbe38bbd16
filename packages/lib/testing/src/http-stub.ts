/** A throwaway HTTP server on loopback that stands in for another service in a unit test. */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening stub. */
export interface HttpStub {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Drops open connections (also requests left hanging) and stops listening. */
  close(): Promise<void>;
}

/** Serve `handler` on a free loopback port. */
export async function startHttpStub(handler: RequestListener): Promise<HttpStub> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
