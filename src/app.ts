import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';
import { openPglite, openPostgres, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { buildServer } from './http/server.ts';
import { createOrganizationService } from './modules/organizations/service.ts';
import { organizationRoutes } from './modules/organizations/routes.ts';
import { createTaxService } from './modules/taxes/service.ts';
import { taxRoutes } from './modules/taxes/routes.ts';

/** Builds every service over one database. The only place that wires Billow together. */
export const createServices = (database: Database) => {
  const { db } = database;
  const organizations = createOrganizationService({ db });
  const taxes = createTaxService({ db });
  return { organizations, taxes };
};
export type Services = ReturnType<typeof createServices>;

export const createHttp = (services: Services, options: { logger: FastifyServerOptions['logger']; bodyLimitBytes: number; adminKey: string | null }) =>
  buildServer({
    ...options,
    organizations: services.organizations,
    apiRoutes: [organizationRoutes(services.organizations), taxRoutes(services.taxes)],
  });

export const openDatabase = async (config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Database> =>
  config.databaseUrl ? openPostgres(config.databaseUrl) : openPglite({ dataDir: config.dataDir });

export interface App {
  database: Database;
  services: Services;
  http: FastifyInstance;
  close(): Promise<void>;
}

/** Opens the database, brings its schema up to date and builds the HTTP server (not yet listening). */
export const createApp = async (config: Config, database?: Database): Promise<App> => {
  const db = database ?? (await openDatabase(config));
  await migrate(db);
  const services = createServices(db);
  const http = await createHttp(services, {
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimitBytes: config.bodyLimitBytes,
    adminKey: config.adminKey,
  });
  return {
    database: db,
    services,
    http,
    close: async () => {
      await http.close();
      await db.close();
    },
  };
};
