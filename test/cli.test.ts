import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin', 'billow.js');

/** The `billow` command as a user runs it, on its embedded database in a fresh data directory. */
describe('the billow command', () => {
  let dataDir: string;
  const env = () => ({ ...process.env, BILLOW_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn' });
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'billow-cli-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('migrate, then org create prints a working key, with or without a test clock', async () => {
    const migrated = await run(process.execPath, [BIN, 'migrate'], { env: env() });
    assert.match(migrated.stdout, /Applied 0001_organizations/);
    const again = await run(process.execPath, [BIN, 'migrate'], { env: env() });
    assert.match(again.stdout, /up to date/);

    const created = await run(process.execPath, [BIN, 'org', 'create', '--name', 'Acme', '--test-clock', '2024-01-01T00:00:00Z'], { env: env() });
    assert.match(created.stdout, /Created organization "Acme"/);
    assert.match(created.stdout, /API key: billow_\S+/);

    const refused = await run(process.execPath, [BIN, 'org', 'create', '--name', 'Bad', '--test-clock', 'tomorrow'], { env: env() }).catch((e) => e);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--test-clock must be an ISO-8601 date-time/);
  });

  test('serve bootstraps the organization with BILLOW_API_KEY, listens on PORT and answers with it', async () => {
    const apiKey = 'my-own-key-0123456789abcdef';
    const serveDir = await mkdtemp(join(tmpdir(), 'billow-serve-'));
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, BILLOW_DATA_DIR: serveDir, DATABASE_URL: '', LOG_LEVEL: 'warn', PORT: '0', BILLOW_API_KEY: apiKey },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve) => lines.once('line', resolve));
      const url = first.match(/listening on (\S+)/)?.[1];
      assert.ok(url, first);
      const res = await fetch(`${url}/api/v1/organizations`, { headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { organization: { name: string } }).organization.name, 'Default organization');
      const denied = await fetch(`${url}/api/v1/organizations`, { headers: { authorization: 'Bearer wrong' } });
      assert.equal(denied.status, 401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(serveDir, { recursive: true, force: true });
    }
  });
});
