import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { respond } from '../../http/reply.ts';
import { errorResponses, listOf, PageQuery, PaginationMeta, QueryValue, wrapped } from '../../http/schemas.ts';
import { parsePageRequest } from '../../lib/pagination.ts';
import { serializeTransaction, serializeWallet, TransactionDetailObject, TransactionObject, WalletObject } from './serialize.ts';
import type { WalletRef, WalletService } from './service.ts';
import type { TransactionView, WalletTransactionService } from './transactions-service.ts';
import { STATUSES, TRANSACTION_STATUSES, TRANSACTION_TYPES, TransactionBody, WalletBody, type TransactionFilters, type WalletView } from './types.ts';

const WalletResponse = wrapped('wallet', WalletObject);
const WalletsResponse = listOf('wallets', WalletObject);
const TransactionResponse = wrapped('wallet_transaction', TransactionDetailObject);
const TransactionsResponse = Type.Object({ wallet_transactions: Type.Array(TransactionObject), meta: Type.Optional(PaginationMeta) });

const IdParams = Type.Object({ id: Type.String() });
const CustomerParams = Type.Object({ external_customer_id: Type.String() });
const CodeParams = Type.Object({ external_customer_id: Type.String(), code: Type.String() });

const last = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[value.length - 1] : value);
const oneOf = (list: readonly string[], value: string | undefined) => (value !== undefined && list.includes(value) ? value : undefined);

/** Lago's transaction list filters: unknown values are ignored, `metadata[key]=value` must all match. */
const transactionFilters = (query: Record<string, string | string[] | undefined>): TransactionFilters => {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    const text = last(value);
    if (match && text !== undefined) metadata[match[1]!] = text;
  }
  const status = oneOf(STATUSES, last(query.status));
  const transactionType = oneOf(TRANSACTION_TYPES, last(query.transaction_type));
  const transactionStatus = oneOf(TRANSACTION_STATUSES, last(query.transaction_status));
  return { ...(status && { status }), ...(transactionType && { transactionType }), ...(transactionStatus && { transactionStatus }), metadata };
};

const transactionJson = (view: TransactionView, details = false) =>
  serializeTransaction(view.transaction, { row: view.wallet, billingEntityCode: view.billingEntityCode }, { details });

export const walletRoutes =
  (wallets: WalletService, transactions: WalletTransactionService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['wallets'];
    const one = (nowMs: number) => (view: WalletView) => ({ wallet: serializeWallet(view, 'api', nowMs) });
    const ListQuery = Type.Object({ ...PageQuery.properties, external_customer_id: Type.Optional(QueryValue), currency: Type.Optional(QueryValue) });

    app.post('/wallets', { schema: { tags, body: WalletBody, response: { 200: WalletResponse, ...errorResponses } } }, async (request, reply) =>
      respond(reply, await wallets.create(request.ctx, request.body.wallet), one(request.ctx.clock.now().epochMilliseconds)),
    );
    app.get('/wallets', { schema: { tags, querystring: ListQuery, response: { 200: WalletsResponse, ...errorResponses } } }, async (request, reply) => {
      const externalCustomerId = last(request.query.external_customer_id);
      const currency = last(request.query.currency);
      const nowMs = request.ctx.clock.now().epochMilliseconds;
      return respond(
        reply,
        await wallets.list(request.ctx, { ...(externalCustomerId !== undefined && { externalCustomerId }), ...(currency && { currency }) }, parsePageRequest(request.query)),
        (page) => ({ wallets: page.items.map((v) => serializeWallet(v, 'api', nowMs)), meta: page.meta }),
      );
    });

    const byRef = (url: string, params: typeof IdParams | typeof CodeParams, refOf: (params: Record<string, string>) => WalletRef) => {
      app.get(url, { schema: { tags, params, response: { 200: WalletResponse, ...errorResponses } } }, async (request, reply) =>
        respond(reply, await wallets.get(request.ctx, refOf(request.params as Record<string, string>)), one(request.ctx.clock.now().epochMilliseconds)),
      );
      app.route({
        method: ['PUT', 'PATCH'],
        url,
        schema: { tags, params, body: WalletBody, response: { 200: WalletResponse, ...errorResponses } },
        handler: async (request, reply) =>
          respond(
            reply,
            await wallets.update(request.ctx, refOf(request.params as Record<string, string>), request.body.wallet),
            one(request.ctx.clock.now().epochMilliseconds),
          ),
      });
      app.delete(url, { schema: { tags, params, response: { 200: WalletResponse, ...errorResponses } } }, async (request, reply) =>
        respond(reply, await wallets.terminate(request.ctx, refOf(request.params as Record<string, string>)), one(request.ctx.clock.now().epochMilliseconds)),
      );
    };
    byRef('/wallets/:id', IdParams, (p) => ({ id: p.id! }));
    byRef('/customers/:external_customer_id/wallets/:code', CodeParams, (p) => ({ externalCustomerId: p.external_customer_id!, code: p.code! }));

    app.post(
      '/customers/:external_customer_id/wallets',
      { schema: { tags, params: CustomerParams, body: WalletBody, response: { 200: WalletResponse, ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await wallets.create(request.ctx, request.body.wallet, request.params.external_customer_id), one(request.ctx.clock.now().epochMilliseconds)),
    );
    app.get(
      '/customers/:external_customer_id/wallets',
      { schema: { tags, params: CustomerParams, querystring: ListQuery, response: { 200: WalletsResponse, ...errorResponses } } },
      async (request, reply) => {
        const currency = last(request.query.currency);
        const nowMs = request.ctx.clock.now().epochMilliseconds;
        return respond(
          reply,
          await wallets.list(request.ctx, { externalCustomerId: request.params.external_customer_id, ...(currency && { currency }) }, parsePageRequest(request.query)),
          (page) => ({ wallets: page.items.map((v) => serializeWallet(v, 'api', nowMs)), meta: page.meta }),
        );
      },
    );

    const transactionTags = ['wallet_transactions'];
    app.post(
      '/wallet_transactions',
      { schema: { tags: transactionTags, body: TransactionBody, response: { 200: TransactionsResponse, ...errorResponses } } },
      async (request, reply) =>
        respond(reply, await transactions.create(request.ctx, request.body.wallet_transaction), (list) => ({ wallet_transactions: list.map((v) => transactionJson(v)) })),
    );
    app.get(
      '/wallet_transactions/:id',
      { schema: { tags: transactionTags, params: IdParams, response: { 200: TransactionResponse, ...errorResponses } } },
      async (request, reply) => respond(reply, await transactions.get(request.ctx, request.params.id), (view) => ({ wallet_transaction: transactionJson(view, true) })),
    );
    const TransactionQuery = Type.Object(
      {
        ...PageQuery.properties,
        status: Type.Optional(QueryValue),
        transaction_type: Type.Optional(QueryValue),
        transaction_status: Type.Optional(QueryValue),
      },
      { additionalProperties: true },
    );
    app.get(
      '/wallets/:id/wallet_transactions',
      { schema: { tags: transactionTags, params: IdParams, querystring: TransactionQuery, response: { 200: TransactionsResponse, ...errorResponses } } },
      async (request, reply) => {
        const query = request.query as Record<string, string | string[] | undefined>;
        return respond(reply, await transactions.list(request.ctx, request.params.id, transactionFilters(query), parsePageRequest(query)), (page) => ({
          wallet_transactions: page.items.map((v) => transactionJson(v)),
          meta: page.meta,
        }));
      },
    );
  };
