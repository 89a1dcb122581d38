import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createApp, openDatabase } from './app.ts';
import { migrate } from './db/migrate.ts';
import { createOrganizationService } from './modules/organizations/service.ts';
import { parseIsoDateTime } from './lib/time.ts';

const USAGE = `Usage: billow <command>

Commands:
  serve                                   run the API (the default)
  migrate                                 apply database migrations and exit
  org create --name NAME [--timezone TZ] [--currency CUR] [--test-clock ISO]
                                          create an organization and print its API key

Environment: HOST, PORT, DATABASE_URL (PostgreSQL; embedded PGlite when unset), BILLOW_DATA_DIR,
BILLOW_API_KEY, BILLOW_ADMIN_KEY, LOG_LEVEL.`;

const prepareDataDir = (config: Config) => {
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true });
};

const serve = async (config: Config) => {
  prepareDataDir(config);
  const app = await createApp(config);
  const boot = await app.services.organizations.bootstrap(config.apiKey);
  const address = await app.http.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  const lines = [`Billow is listening on ${url}`, `  database: ${config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`}`];
  if (boot.created) {
    lines.push(`  created organization "${boot.organization.name}"`);
    if (!config.apiKey) lines.push(`  API key (shown once, keep it): ${boot.apiKey}`);
    else lines.push('  API key: the one given in BILLOW_API_KEY');
  } else {
    lines.push(`  organization "${boot.organization.name}" (use its API key; \`npx billow org create --name NAME\` makes another)`);
  }
  lines.push(`  try: curl -H "Authorization: Bearer <API key>" ${url}/api/v1/organizations`);
  process.stdout.write(lines.join('\n') + '\n');

  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

const orgCreate = async (config: Config, args: string[]) => {
  const { values } = parseArgs({
    args,
    options: { name: { type: 'string' }, timezone: { type: 'string' }, currency: { type: 'string' }, 'test-clock': { type: 'string' } },
  });
  if (!values.name) throw new ConfigError('org create needs --name NAME');
  let testClock;
  if (values['test-clock'] !== undefined) {
    testClock = parseIsoDateTime(values['test-clock']);
    if (!testClock) throw new ConfigError(`--test-clock must be an ISO-8601 date-time, got "${values['test-clock']}"`);
  }
  prepareDataDir(config);
  const database = await openDatabase(config);
  try {
    await migrate(database);
    const result = await createOrganizationService({ db: database.db }).create({
      name: values.name,
      timezone: values.timezone,
      defaultCurrency: values.currency,
      testClock,
    });
    if (!result.ok) throw new ConfigError(`could not create the organization: ${JSON.stringify(result.error)}`);
    const { organization, apiKey } = result.value;
    process.stdout.write(`Created organization "${organization.name}" (${organization.id})\nAPI key: ${apiKey}\n`);
  } finally {
    await database.close();
  }
};

const main = async () => {
  const [command = 'serve', ...rest] = process.argv.slice(2);
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      prepareDataDir(config);
      const database = await openDatabase(config);
      try {
        const applied = await migrate(database);
        process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'The database is up to date\n');
      } finally {
        await database.close();
      }
      return;
    }
    case 'org':
      if (rest[0] === 'create') return orgCreate(config, rest.slice(1));
      throw new ConfigError(USAGE);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      throw new ConfigError(`Unknown command "${command}"\n\n${USAGE}`);
  }
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(error.message + '\n');
    process.exit(2);
  }
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
