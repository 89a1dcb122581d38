import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import './context.ts';
import { apiKeyAuth } from './auth.ts';
import { handleError, reason } from './errors.ts';
import { BodyTooDeepError, parseJsonBody } from './json-body.ts';
import { ErrorBody } from './schemas.ts';
import type { OrganizationService } from '../modules/organizations/service.ts';
import { adminRoutes } from '../modules/organizations/admin-routes.ts';

export interface ServerOptions {
  logger: FastifyServerOptions['logger'];
  bodyLimitBytes: number;
  adminKey: string | null;
  organizations: OrganizationService;
  /** The /api/v1 resource routes, each a plugin built around its service. */
  apiRoutes: FastifyPluginAsyncTypebox[];
  /** Routes outside the API that need no key (documents' public links). */
  publicRoutes?: FastifyPluginAsyncTypebox[];
}

const ROUTES = new WeakMap<FastifyInstance, { method: string; url: string; hidden: boolean }[]>();

/** Every route the server answers (method and URL pattern), for checking the OpenAPI document against it. */
export const routeTable = (app: FastifyInstance) => ROUTES.get(app) ?? [];

export const buildServer = async (options: ServerOptions): Promise<FastifyInstance> => {
  const app = Fastify({
    logger: options.logger,
    bodyLimit: options.bodyLimitBytes,
    // Types are checked, never coerced: "5" is not a number here, as a price must be a string and a count an integer.
    ajv: { customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false, useDefaults: false } },
    requestIdHeader: 'x-request-id',
    // A URL Fastify cannot even decode (`/taxes/%ff`) gets Lago's error shape too.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void (reply as FastifyReply).status(status).send({ status, error: reason(status) });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const routes: { method: string; url: string; hidden: boolean }[] = [];
  ROUTES.set(app as unknown as FastifyInstance, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, hidden: Boolean((route.schema as { hide?: boolean } | undefined)?.hide) });
    }
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      const message = error instanceof BodyTooDeepError ? error.message : 'Body is not valid JSON';
      done(Object.assign(new Error(message), { statusCode: 400, code: 'BILLOW_INVALID_JSON' }), undefined);
    }
  });

  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      // 3.1: its schemas are JSON Schema, so nullable fields (`type: ["string", "null"]`) are valid as they stand.
      openapi: '3.1.0',
      info: {
        title: 'Billow API',
        version: '1.0.0',
        description: 'Usage-based billing with a Lago v1 compatible API. Authenticate with `Authorization: Bearer <api key>`.',
      },
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  app.setErrorHandler(handleError);
  // A NUL in a path or query can name nothing Billow stores (PostgreSQL text cannot hold one).
  app.addHook('onRequest', async (request, reply) => {
    if (/%00/i.test(request.url)) await reply.status(404).send({ status: 404, error: 'Not Found', code: 'resource_not_found' });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ status: 404, error: 'Not Found', code: 'resource_not_found' }),
  );

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  for (const routes of options.publicRoutes ?? []) await app.register(routes);

  await app.register(
    async (api) => {
      api.addHook('onRequest', apiKeyAuth(options.organizations));
      for (const routes of options.apiRoutes) await api.register(routes);
    },
    { prefix: '/api/v1' },
  );

  if (options.adminKey) {
    await app.register(adminRoutes(options.organizations, options.adminKey), { prefix: '/admin/v1' });
  }
  return app;
};
