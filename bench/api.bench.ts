// Throughput and latency of authenticated API reads and writes on the embedded database (PGlite, in-memory), measured
// with autocannon over loopback against a Billow in another process. Prints figures; asserts nothing.
import autocannon from 'autocannon';
import { cpus } from 'node:os';
import { freshPostgresDatabase } from './support/databases.ts';
import { spawnServer } from './support/spawn-server.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const pgDatabase = process.env.BENCH_PGLITE ? null : await freshPostgresDatabase();
const server = await spawnServer(pgDatabase?.url);
const { url } = server;
const headers = { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' };
await fetch(`${url}/api/v1/taxes`, { method: 'POST', headers, body: JSON.stringify({ tax: { name: 'VAT', code: 'vat', rate: '20' } }) });

const run = async (title: string, path: string, options: Partial<autocannon.Options> = {}) => {
  const result = await autocannon({ url: url + path, connections: 10, duration: DURATION, headers, ...options });
  const ok = result["2xx"];
  if (process.env.BENCH_DEBUG) console.log(result.statusCodeStats);
  console.log(
    `${title.padEnd(34)} ${String(Math.round(result.requests.average)).padStart(6)} req/s   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   2xx ${ok}   non-2xx ${result.non2xx}`,
  );
};

let n = 0;
console.log(`Billow API on ${pgDatabase ? 'PostgreSQL' : 'PGlite (in-memory)'}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${DURATION}s per run, 10 connections`);
await run('GET /organizations', '/api/v1/organizations');
await run('GET /taxes/vat', '/api/v1/taxes/vat');
await run('GET /taxes (list)', '/api/v1/taxes');
await run('POST /add_ons (create)', '/api/v1/add_ons', {
  method: 'POST',
  requests: [
    {
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ add_on: { name: 'Add-on', code: `a${n++}`, amount_cents: 100, amount_currency: 'EUR' } }),
      }),
    },
  ],
});
await server.stop();
await pgDatabase?.drop();
