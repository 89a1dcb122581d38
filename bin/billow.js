#!/usr/bin/env node
// The published entry point: registers tsx so the TypeScript sources run as they are, then hands over to src/main.ts.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

register();
const root = dirname(dirname(fileURLToPath(import.meta.url)));
await import(pathToFileURL(join(root, 'src', 'main.ts')).href);
