import { uuidv7 } from 'uuidv7';

/** A new `lago_id`: UUID v7, so ids sort by creation time and index pages stay warm. */
export const newId = (): string => uuidv7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * A UUID as the 128-bit integer it spells, in decimal: uuidv7 ids compare as numbers in the order they were made, so
 * the id of an event is its arrival key where only numbers fit (the latest value rides in a numeric array).
 */
export const uuidAsBigInt = (id: string): bigint => BigInt(`0x${id.replaceAll('-', '')}`);
export const uuidAsInteger = (id: string): string => uuidAsBigInt(id).toString();
