/**
 * IANA time zone names. Billow accepts every zone the runtime's tz database knows (Lago accepts only the ~137 zones of
 * Rails' friendly list; every one of those is accepted here too), and `UTC`.
 */
const known = new Set<string>([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);

export const isTimeZone = (name: unknown): name is string => {
  if (typeof name !== 'string' || name === '') return false;
  if (known.has(name)) return true;
  // Links such as Europe/Kiev or America/Godthab are real IANA names that supportedValuesOf leaves out.
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name.includes('/') || name === 'UTC';
  } catch {
    return false;
  }
};
