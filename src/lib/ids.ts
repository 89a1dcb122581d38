import { randomFillSync } from 'node:crypto';
import { V7Generator } from 'uuidv7';

// Random bits drawn 4 KiB at a time: the package's default asks the system's generator for 32 bytes at every other id,
// and ingestion makes an id per event (about 1.1 µs an id that way, 0.6 µs this way).
const pool = new Uint32Array(1024);
let cursor = pool.length;
const generator = new V7Generator({
  nextUint32: () => {
    if (cursor === pool.length) {
      randomFillSync(pool);
      cursor = 0;
    }
    return pool[cursor++]!;
  },
});

/** A new `lago_id`: UUID v7, so ids sort by creation time and index pages stay warm. */
export const newId = (): string => generator.generate().toString();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * A UUID as the 128-bit integer it spells, in decimal: uuidv7 ids compare as numbers in the order they were made, so
 * the id of an event is its arrival key where only numbers fit (the latest value rides in a numeric array).
 */
export const uuidAsBigInt = (id: string): bigint => BigInt(`0x${id.replaceAll('-', '')}`);
export const uuidAsInteger = (id: string): string => uuidAsBigInt(id).toString();
