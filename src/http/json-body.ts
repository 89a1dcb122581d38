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

/** How deeply arrays and objects nest in a JSON text (brackets inside strings do not count). */
const nestingDepth = (text: string): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
};

/** Parses a request body; throws SyntaxError for bad JSON and BodyTooDeepError for absurd nesting. */
export const parseJsonBody = (raw: string): unknown => {
  const text = raw.trim();
  // Lago's clients send `Content-Type: application/json` with an empty body on some POSTs (void, retry): read as {}.
  if (text === '') return {};
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw new BodyTooDeepError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  const value: unknown = JSON.parse(text);
  return SUSPICIOUS_ESCAPE.test(text) ? cleanDeep(value) : value;
};
