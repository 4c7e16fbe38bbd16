import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHttpStub } from '@strata/testing';
import { NetworkService } from './network-service.js';
import type { ServiceCatalog } from './service-catalog.js';

/** A neutron that knows one port and accepts the user's token and the service token `valid` only. */
async function fakeNeutron(): Promise<{ url: string; tokens: string[]; close: () => Promise<void> }> {
  const tokens: string[] = [];
  const stub = await startHttpStub((req, res) => {
    const token = String(req.headers['x-auth-token'] ?? '');
    tokens.push(token);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (token !== 'valid' && token !== 'user-token') {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }));
        return;
      }
      res.end(JSON.stringify({ port: { id: 'p1', network_id: 'n1', mac_address: 'fa:16:3e:00:00:01', status: 'ACTIVE', fixed_ips: [], 'binding:host_id': 'h1', 'binding:vif_type': 'bridge', 'binding:vif_details': {} } }));
    });
  });
  return { url: stub.url, tokens, close: () => stub.close() };
}

test('a service token neutron refuses (401) is handed back to its source once, and the call made again with a new one', async () => {
  const neutron = await fakeNeutron();
  try {
    const catalog = { endpoint: async () => neutron.url } as unknown as ServiceCatalog;
    const networks = new NetworkService(catalog);
    const handedBack: Array<string | undefined> = [];
    let current = 'revoked';
    networks.useServiceToken(async (rejected) => {
      handedBack.push(rejected);
      if (rejected === current) current = 'valid';
      return current;
    });
    const port = await networks.bindPort('user-token', 'p1', 'i1', 'h1');
    assert.equal(port.vifType, 'bridge');
    assert.deepEqual(handedBack, [undefined, 'revoked'], 'the refused token went back to the source');
    assert.deepEqual(neutron.tokens.slice(-2), ['revoked', 'valid'], 'the same call, once more with the new token');
    // A source that has nothing better: the 401 stands after one retry.
    networks.useServiceToken(async () => 'still-bad');
    const before = neutron.tokens.length;
    await assert.rejects(networks.boundPort('user-token', 'p1'), (err: { status?: number }) => err.status === 401);
    assert.equal(neutron.tokens.length - before, 2, 'one retry, not a loop');
  } finally {
    await neutron.close();
  }
});
