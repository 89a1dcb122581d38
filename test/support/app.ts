import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Client } from 'lago-javascript-client';
import { Temporal } from 'temporal-polyfill';
import { createApp, type App } from '../../src/app.ts';
import type { Config, WebhookSettings } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { testDatabase } from './database.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface TestApp {
  app: App;
  database: Database;
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 (only when started with listen). */
  url: string;
  /** Creates an organization and returns its API key (and id). */
  newOrganization(options?: { name?: string; testClock?: string; timezone?: string; currency?: string }): Promise<{ key: string; id: string }>;
  /** The official Lago client for an API key, pointed at this server. */
  client(key: string): ReturnType<typeof Client>;
  /** A request through Fastify's inject, with the key as Bearer token. */
  request(key: string | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const startTestApp = async (options: { listen?: boolean; webhooks?: Partial<WebhookSettings> } = {}): Promise<TestApp> => {
  const database = await testDatabase();
  const config: Config = {
    host: '127.0.0.1',
    port: 0,
    databaseUrl: null,
    dataDir: '',
    apiKey: null,
    adminKey: ADMIN_KEY,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    bodyLimitBytes: 1_048_576,
    // Tests compare whole-database snapshots; they compact explicitly (services.metering.compact) where it matters.
    compactionIntervalMs: 0,
    // Webhooks are delivered by the tests that want them (services.webhookDelivery), unless they start the worker here.
    ...(options.webhooks && { webhooks: options.webhooks }),
  };
  const app = await createApp(config, database);
  let url = '';
  if (options.listen) url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    database,
    url,
    newOrganization: async (o = {}) => {
      const result = await app.services.organizations.create({
        name: o.name ?? 'Acme',
        timezone: o.timezone,
        defaultCurrency: o.currency,
        testClock: o.testClock ? Temporal.Instant.from(o.testClock) : undefined,
      });
      if (!result.ok) throw new Error(JSON.stringify(result.error));
      return { key: result.value.apiKey, id: result.value.organization.id };
    },
    client: (key) => {
      if (!url) throw new Error('start the test app with { listen: true } to use the Lago client');
      return Client(key, { baseUrl: `${url}/api/v1` });
    },
    request: (key, inject) =>
      app.http.inject({
        ...inject,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(inject.headers ?? {}) },
      }),
    close: () => app.close(),
  };
};

/** Reads the JSON body a thrown lago-javascript-client response carries (it throws the Response itself on non-2xx). */
export const lagoError = (error: unknown): { status: number; body: Record<string, unknown> } => {
  const e = error as { status?: number; error?: unknown };
  if (typeof e?.status !== 'number') throw error;
  return { status: e.status, body: e.error as Record<string, unknown> };
};
