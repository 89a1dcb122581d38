/**
 * Longest code or external id Billow stores. Lago has no limit, but PostgreSQL cannot index a key longer than about
 * 2,700 bytes; 500 characters of up to 4 bytes each stay below it.
 */
export const MAX_KEY_LENGTH = 500;

/** The largest value of an `integer` column. */
export const MAX_INT4 = 2_147_483_647;

/** Escapes LIKE wildcards so a search term matches literally. */
export const likeContains = (term: string): string => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
