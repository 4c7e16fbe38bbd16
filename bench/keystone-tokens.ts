/**
 * Token issue and validate throughput of keystone in the all-in-one (`strata up` as its own process),
 * at concurrency 1 and 16; several runs each, medians printed as a table.
 *
 *   node --import tsx bench/keystone-tokens.ts [--runs 5] [--seconds 3]
 */
import autocannon from 'autocannon';
import { startStrataProcess } from '@strata/testing';
import { arg, median } from './lib/stats.js';

const runs = arg('runs', 5);
const seconds = arg('seconds', 3);

async function measure(opts: autocannon.Options): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({ ...opts, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

// Production-like hashing cost: issuing a token pays bcrypt, validating must not.
const strata = await startStrataProcess({ env: { OS_IDENTITY__PASSWORD_HASH_ROUNDS: '10', OS_LOGGING__LEVEL: 'warn' } });
try {
  const env = strata.adminEnv;
  const authUrl = env.OS_AUTH_URL as string;
  const authBody = JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, password: env.OS_PASSWORD, domain: { id: 'default' } } } },
      scope: { project: { name: env.OS_PROJECT_NAME, domain: { id: 'default' } } },
    },
  });
  const issue = async (): Promise<string> => {
    const res = await fetch(`${authUrl}/auth/tokens?nocatalog`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: authBody });
    return res.headers.get('x-subject-token') as string;
  };
  const admin = await issue();
  const subjects = await Promise.all(Array.from({ length: 200 }, issue));

  const scenarios: Array<{ name: string; opts: (c: number) => autocannon.Options }> = [
    { name: 'token issue (password, bcrypt cost 10)', opts: (c) => ({ url: `${authUrl}/auth/tokens?nocatalog`, method: 'POST', headers: { 'content-type': 'application/json' }, body: authBody, connections: c }) },
    { name: 'token validate (same token)', opts: (c) => ({ url: `${authUrl}/auth/tokens`, headers: { 'x-auth-token': admin, 'x-subject-token': admin }, connections: c }) },
    {
      name: 'token validate (200 tokens, with catalog)',
      opts: (c) => {
        let i = 0;
        return { url: `${authUrl}/auth/tokens`, connections: c, requests: [{ setupRequest: (req) => ({ ...req, headers: { 'x-auth-token': admin, 'x-subject-token': subjects[i++ % subjects.length] as string } }) }] };
      },
    },
  ];

  const rows: string[][] = [];
  for (const s of scenarios) {
    for (const c of [1, 16]) {
      const results = [];
      for (let r = 0; r < runs; r++) results.push(await measure(s.opts(c)));
      rows.push([s.name, String(c), median(results.map((x) => x.rps)).toFixed(0), median(results.map((x) => x.p50)).toFixed(1), median(results.map((x) => x.p99)).toFixed(1), String(results.reduce((a, x) => a + x.errors, 0))]);
    }
  }
  const header = ['scenario', 'conc', 'req/s (median)', 'p50 ms', 'p99 ms', 'errors'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  console.log(`keystone token throughput: ${runs} runs x ${seconds}s each, server = strata up (separate process)`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
} finally {
  await strata.stop();
}
