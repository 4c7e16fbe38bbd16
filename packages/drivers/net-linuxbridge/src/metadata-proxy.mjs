// Metadata proxy run inside a qdhcp namespace (`ip netns exec … node metadata-proxy.mjs <ip> <port> <socket> <network-id> <pid-file>`):
// listens on 169.254.169.254:80 there and forwards each request to the agent's unix socket in the
// host namespace, naming the guest by X-Forwarded-For (its fixed IP) and X-Neutron-Network-ID.
import { createServer, request } from 'node:http';
import { writeFileSync } from 'node:fs';

const [ip, port, socketPath, networkId, pidFile] = process.argv.slice(2);
if (!ip || !port || !socketPath || !networkId || !pidFile) {
  process.stderr.write('usage: metadata-proxy.mjs <ip> <port> <socket> <network-id> <pid-file>\n');
  process.exit(2);
}
const server = createServer((req, res) => {
  const headers = { ...req.headers };
  for (const h of ['x-forwarded-for', 'x-instance-id', 'x-instance-id-signature', 'x-tenant-id', 'x-neutron-network-id', 'x-neutron-router-id']) delete headers[h];
  headers['x-forwarded-for'] = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  headers['x-neutron-network-id'] = networkId;
  const up = request({ socketPath, path: req.url, method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('metadata service unavailable\n');
  });
  req.pipe(up);
});
server.listen(Number(port), ip, () => writeFileSync(pidFile, String(process.pid)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
