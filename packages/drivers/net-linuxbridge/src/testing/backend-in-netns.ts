/**
 * Test helper, run by vxlan-peers.test.ts inside a network namespace of its own (`ip netns exec`,
 * which also mounts that namespace's /sys): one LinuxBridgeNetworkBackend standing for one host,
 * driven by JSON lines on stdin, each answered by one JSON line on stdout.
 * Usage: node --import tsx backend-in-netns.ts <stateDir> <vxlanLocalIp>
 * Requests: {"op":"plug","port":PortSpec} | {"op":"peers","peers":TunnelPeerSpec[]} | {"op":"close"}
 * Replies: {"ok":true} | {"ok":false,"error":"…"}
 */
import { createInterface } from 'node:readline';
import type { PortSpec, TunnelPeerSpec } from '@strata/net';
import { LinuxBridgeNetworkBackend } from '../linuxbridge-backend.js';

type Request = { op: 'plug'; port: PortSpec } | { op: 'peers'; peers: TunnelPeerSpec[] } | { op: 'close' };

const [stateDir, vxlanLocalIp] = process.argv.slice(2);
if (stateDir === undefined || vxlanLocalIp === undefined) throw new Error('usage: backend-in-netns.ts <stateDir> <vxlanLocalIp>');
const backend = await LinuxBridgeNetworkBackend.create({ stateDir, vxlanLocalIp });
const reply = (r: object): void => void process.stdout.write(`${JSON.stringify(r)}\n`);
reply({ ok: true, ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line) as Request;
  try {
    if (req.op === 'plug') await backend.plugPort(req.port);
    else if (req.op === 'peers') await backend.setTunnelPeers(req.peers);
    else {
      await backend.teardown();
      await backend.close();
      reply({ ok: true });
      break;
    }
    reply({ ok: true });
  } catch (err) {
    reply({ ok: false, error: (err as Error).message });
  }
}
