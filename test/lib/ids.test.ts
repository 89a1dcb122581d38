import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUuid, newId, uuidAsBigInt } from '../../src/lib/ids.ts';

test('ids are version 7 UUIDs, all different, each greater than the one made before (across refills of the random pool)', () => {
  // 5,000 ids draw the 4 KiB random pool empty several times over.
  const ids = Array.from({ length: 5_000 }, () => newId());
  for (const id of ids) {
    assert.ok(isUuid(id), id);
    assert.equal(id[14], '7', `version of ${id}`);
    assert.ok('89ab'.includes(id[19]!), `variant of ${id}`);
  }
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(uuidAsBigInt(ids[i]!) > uuidAsBigInt(ids[i - 1]!), `${ids[i - 1]} then ${ids[i]}`);
  // Their first 48 bits are the time they were made, in milliseconds.
  const ms = Number(BigInt(`0x${ids.at(-1)!.replaceAll('-', '').slice(0, 12)}`));
  assert.ok(Math.abs(ms - Date.now()) < 60_000, `timestamp ${ms}`);
});
