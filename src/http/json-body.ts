/**
 * Reading request bodies. JSON allows what PostgreSQL cannot store (U+0000, unpaired UTF-16 surrogates written as
 * escapes) and nesting deep enough to overflow the stack of whatever walks it later; Billow settles all three here,
 * once, for every route.
 */

/** Deeper than any Lago payload needs (a plan's charge filters are five levels down). */
export const MAX_JSON_DEPTH = 64;

export class BodyTooDeepError extends Error {}

/** The escapes that need a second look: NUL and surrogates (`\ud800`-`\udfff`). */
const SUSPICIOUS_ESCAPE = /\\u(0000|[dD][89a-fA-F])/;

/** Drops NULs and replaces unpaired surrogates with U+FFFD, as a UTF-8 decoder would. */
const clean = (text: string): string => text.replace(/\u0000/g, '').toWellFormed();

const cleanDeep = (value: unknown): unknown => {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) return value.map(cleanDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k), cleanDeep(v)]));
  }
  return value;
};

/**
 * Whether arrays and objects nest deeper than `limit` in a parsed value. Walked without recursion over the values
 * (far fewer than the characters of the text), stopping at the first branch too deep.
 */
const nestsDeeperThan = (root: unknown, limit: number): boolean => {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
};

/** Parses a request body; throws SyntaxError for bad JSON and BodyTooDeepError for absurd nesting. */
export const parseJsonBody = (raw: string): unknown => {
  const text = raw.trim();
  // Lago's clients send `Content-Type: application/json` with an empty body on some POSTs (void, retry): read as {}.
  if (text === '') return {};
  // JSON.parse itself does not recurse; what walks the value later might.
  const value: unknown = JSON.parse(text);
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw new BodyTooDeepError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return SUSPICIOUS_ESCAPE.test(text) ? cleanDeep(value) : value;
};
