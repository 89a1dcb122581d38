// A second Billow process for the billing crash test: opens the app on the PostgreSQL database at argv[2] and runs the
// billing of organization argv[3] up to the instant argv[4]. Prints "running" when billing starts and "done" when it
// returns; the test kills it with SIGKILL somewhere in between.
import { Temporal } from 'temporal-polyfill';
import { createApp } from '../../src/app.ts';
import { openPostgres } from '../../src/db/database.ts';

const [url, organizationId, upTo] = process.argv.slice(2);
if (!url || !organizationId || !upTo) throw new Error('usage: billing-run-child.ts <database url> <organization id> <up to>');

const app = await createApp(
  {
    host: '127.0.0.1',
    port: 0,
    databaseUrl: null,
    dataDir: '',
    apiKey: null,
    adminKey: null,
    logLevel: 'silent',
    bodyLimitBytes: 1_048_576,
    compactionIntervalMs: 0,
  },
  await openPostgres(url, 2),
);
process.stdout.write('running\n');
await app.services.billing.runDue(organizationId, Temporal.Instant.from(upTo));
process.stdout.write('done\n');
await app.close();
