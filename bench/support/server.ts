// A Billow on a fresh in-memory PGlite database, in its own process so that the load generator does not share its CPU.
// Prints one JSON line {url, key} when it listens.
import { createApp } from '../../src/app.ts';
import { openPglite, openPostgres } from '../../src/db/database.ts';

const database = process.env.BENCH_DATABASE_URL ? await openPostgres(process.env.BENCH_DATABASE_URL, Number(process.env.BENCH_POOL ?? 10)) : await openPglite();
const app = await createApp(
  { host: '127.0.0.1', port: 0, databaseUrl: null, dataDir: '', apiKey: null, adminKey: null, logLevel: 'silent', bodyLimitBytes: 1_048_576, compactionIntervalMs: Number(process.env.BENCH_COMPACTION_MS ?? 5_000) },
  database,
);
const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
const created = await app.services.organizations.create({ name: 'Bench' });
if (!created.ok) throw new Error('could not create the benchmark organization');
process.stdout.write(JSON.stringify({ url, key: created.value.apiKey }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
