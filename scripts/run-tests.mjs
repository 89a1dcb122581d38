#!/usr/bin/env node
// Runs the test suite with node:test and tsx, and fails when no test ran at all: on Node 20 a runner that finds no
// .ts file exits 0 silently, which must never count as green.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.ts') ? [path] : [];
  });

const filters = process.argv.slice(2);
const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

const tap = join(mkdtempSync(join(tmpdir(), 'billow-tests-')), 'results.tap');
const concurrency = process.env.TEST_CONCURRENCY ?? '4';
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: process.env },
);

const summary = readFileSync(tap, 'utf8');
const count = (name) => Number(summary.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
const tests = count('tests');
const failed = count('fail');
const database = process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite';
console.log(`\nrun-tests: ${tests} tests, ${count('pass')} passed, ${failed} failed, ${count('skipped')} skipped (${files.length} files, ${database})`);
if (tests === 0) {
  console.error('run-tests: no test ran');
  process.exit(1);
}
process.exit(result.status === 0 && failed === 0 ? 0 : 1);
