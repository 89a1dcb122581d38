import { performance } from 'node:perf_hooks';
import type { Db } from '../../db/database.ts';
import { progressivelyBilledSubscriptions, watchedSubscriptions } from './repository.ts';

/** What progressive billing watches in one organization. */
export interface Watch {
  /** Active subscriptions that thresholds apply to, by external id (events name them so). */
  byExternalId: Map<string, string>;
  /** Their ids, and those of subscriptions with a progressive invoice: whose period invoice may owe a credit. */
  mayHaveProgressive: Set<string>;
}

/**
 * How long a loaded watch is trusted. Changes made through this process invalidate it at once; this bounds how long
 * another process's change (several Billow processes on one PostgreSQL) or a change whose transaction was still
 * running when the watch was reloaded goes unseen. Meanwhile the billing clock's periodic check catches any crossing.
 */
const TTL_MS = 30_000;

interface Entry {
  watch: Watch;
  loadedAt: number;
}

/**
 * Per-organization memory of who progressive billing watches, so that ingestion and invoices of an organization
 * without thresholds cost nothing: one load per organization every TTL, none in between. Keyed by organization id
 * (unique across databases), shared by the process's services.
 */
const entries = new Map<string, Entry>();
const generations = new Map<string, number>();
/** Loads under way through the root handle, shared by the requests that find the watch missing at once. */
const loading = new Map<string, Promise<Watch>>();

const load = async (db: Db, organizationId: string): Promise<Watch> => {
  const watched = await watchedSubscriptions(db, organizationId);
  const billed = await progressivelyBilledSubscriptions(db, organizationId);
  return {
    byExternalId: new Map(watched.map((s) => [s.external_id, s.id])),
    mayHaveProgressive: new Set([...watched.map((s) => s.id), ...billed]),
  };
};

/** The cached watch, if it is fresh: what the ingestion hot path reads without awaiting anything. */
export const peekWatch = (organizationId: string): Watch | undefined => {
  const entry = entries.get(organizationId);
  return entry && performance.now() - entry.loadedAt < TTL_MS ? entry.watch : undefined;
};

const loadAndKeep = async (db: Db, organizationId: string): Promise<Watch> => {
  const generation = generations.get(organizationId) ?? 0;
  const loadedAt = performance.now();
  const watch = await load(db, organizationId);
  // A change made while it loaded may be missing from it: it is used once, not kept.
  if ((generations.get(organizationId) ?? 0) === generation) entries.set(organizationId, { watch, loadedAt });
  return watch;
};

/**
 * The organization's watch, loaded when not fresh: through `db`, which inside a transaction must be its handle (a
 * load there is its own, not shared with other callers).
 */
export const getWatch = async (db: Db, organizationId: string, options: { shared?: boolean } = {}): Promise<Watch> => {
  const fresh = peekWatch(organizationId);
  if (fresh) return fresh;
  if (!options.shared) return loadAndKeep(db, organizationId);
  const pending = loading.get(organizationId) ?? loadAndKeep(db, organizationId).finally(() => loading.delete(organizationId));
  loading.set(organizationId, pending);
  return pending;
};

/** Forgets an organization's watch: thresholds, a subscription or progressive_billing_disabled changed. */
export const invalidateWatch = (organizationId: string): void => {
  entries.delete(organizationId);
  generations.set(organizationId, (generations.get(organizationId) ?? 0) + 1);
};
