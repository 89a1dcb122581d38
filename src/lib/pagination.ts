/** Lago's list conventions: 1-based `page`, `per_page` defaulting to 100, and a `meta` block on every list. */
export interface PageRequest {
  page: number;
  perPage: number;
}

export interface PaginationMeta {
  current_page: number;
  next_page: number | null;
  prev_page: number | null;
  total_pages: number;
  total_count: number;
}

export const DEFAULT_PER_PAGE = 100;

const positiveInt = (value: unknown): number | null => {
  // A repeated parameter (`page=1&page=2`) arrives as a list: like Rails, the last one wins.
  const single = Array.isArray(value) ? value[value.length - 1] : value;
  const text = typeof single === 'number' ? String(single) : typeof single === 'string' ? single.trim() : '';
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  if (n === 0) return null;
  // Beyond 2^53 a page is simply past the end.
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
};

/** Like Lago, a page or per_page that is not a positive integer falls back to the default instead of failing. */
export const parsePageRequest = (query: { page?: unknown; per_page?: unknown }): PageRequest => ({
  page: positiveInt(query.page) ?? 1,
  perPage: positiveInt(query.per_page) ?? DEFAULT_PER_PAGE,
});

// Clamped so that an absurd page never reaches the database as an offset it cannot hold (it just finds nothing).
export const pageOffset = ({ page, perPage }: PageRequest): number => Math.min((page - 1) * perPage, Number.MAX_SAFE_INTEGER);

export const paginationMeta = ({ page, perPage }: PageRequest, totalCount: number): PaginationMeta => {
  if (totalCount === 0) return { current_page: 0, next_page: null, prev_page: null, total_pages: 0, total_count: 0 };
  const totalPages = Math.ceil(totalCount / perPage);
  return {
    current_page: page,
    next_page: page < totalPages ? page + 1 : null,
    prev_page: page > 1 ? page - 1 : null,
    total_pages: totalPages,
    total_count: totalCount,
  };
};

export interface Page<T> {
  items: T[];
  meta: PaginationMeta;
}
