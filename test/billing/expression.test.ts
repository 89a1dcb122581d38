import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  evaluateExpression,
  formatExpressionValue,
  MAX_EXPRESSION_DEPTH,
  MAX_TEXT_LENGTH,
  parseExpression,
  type ExpressionErrorCode,
  type ExpressionEvent,
} from '../../src/billing/expression/index.ts';
import { Decimal } from '../../src/lib/money.ts';

/** The event of lago-expression's own Ruby spec (expression_spec.rb). */
const LAGO_EVENT: ExpressionEvent = {
  code: 'code',
  timestamp: 1234,
  properties: { property_1: 1.23, decimal_property: '2.3', property_2: 'test', property_3: '12.34' },
};
const EMPTY: ExpressionEvent = { code: '', timestamp: 0, properties: {} };

/** Evaluates and renders as Lago's JSON does: numbers "4.0", strings as is. */
const run = (text: string, event: ExpressionEvent = EMPTY): string | { error: ExpressionErrorCode; message: string } => {
  const parsed = parseExpression(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error.message}`);
  const result = evaluateExpression(parsed.value, event);
  return result.ok ? formatExpressionValue(result.value) : { error: result.error.code, message: result.error.message };
};

/** concat() shows a number as Lago's engine prints it, scale included. */
const printed = (text: string, event: ExpressionEvent = EMPTY) => run(`concat(${text})`, event);

describe('expression: Lago worked examples', () => {
  // lago-expression expression-ruby/spec/lago-expression/expression_spec.rb
  const lagoSpec: Array<[string, string]> = [
    ['1 + 3', '4.0'],
    ["'test'", 'test'],
    ['(123 - event.properties.property_1) / 10', '12.177'],
    ["CONCAT(event.properties.property_1, 'test')", '1.23test'],
    ['event.properties.property_1 + event.properties.decimal_property', '3.53'],
    ["concat(event.properties.property_2, '-', 'suffix')", 'test-suffix'],
    ['round(event.properties.property_3, -1)', '10.0'],
    ['least(event.properties.property_3, 5.0)', '5.0'],
    ['least(event.properties.property_3, 15.0)', '12.34'],
    ['greatest(event.properties.property_3, 5.0)', '12.34'],
    ['greatest(event.properties.property_3, 15.0)', '15.0'],
    ['1 + event.timestamp', '1235.0'],
    ['event.code', 'code'],
  ];
  for (const [expression, expected] of lagoSpec) {
    test(`${expression} = ${expected}`, () => assert.equal(run(expression, LAGO_EVENT), expected));
  }

  test('a missing property fails with Lago’s message', () => {
    assert.deepEqual(run('event.properties.does_not_exists', LAGO_EVENT), {
      error: 'missing_variable',
      message: 'Variable: does_not_exists not found',
    });
  });

  // expression-core/src/evaluate.rs unit tests
  const rustUnit: Array<[string, string]> = [
    ['2+4', '6.0'],
    ['2-4', '-2.0'],
    ['2*4', '8.0'],
    ['4/2', '2.0'],
    ['-12', '-12.0'],
    ['round(12.5)', '13.0'],
    ['round(12.345, 2)', '12.35'],
    ['ceil(12.3)', '13.0'],
    ['ceil(12.351, 1)', '12.4'],
    ['floor(12.3)', '12.0'],
    ['floor(12.351, 1)', '12.3'],
    ["concat('test','-','123')", 'test-123'],
    ["concat('test','-',round(123))", 'test-123'],
    ['ceil(123, -1)', '130.0'],
  ];
  for (const [expression, expected] of rustUnit) {
    test(`${expression} = ${expected}`, () => assert.equal(run(expression), expected));
  }

  // lago-api specs: evaluate_expression request and service specs, events controller spec
  test('round(event.properties.value) with value "2.4" is "2.0"', () => {
    assert.equal(run('round(event.properties.value)', { ...EMPTY, properties: { value: '2.4' } }), '2.0');
  });
  test('round(value * units) with 10.4 and 2 is "21.0"', () => {
    assert.equal(run('round(event.properties.value * event.properties.units)', { ...EMPTY, properties: { value: 10.4, units: 2 } }), '21.0');
  });
  test('a + b with "1" and "2" is "3.0"', () => {
    assert.equal(run('event.properties.a + event.properties.b', { ...EMPTY, properties: { a: '1', b: '2' } }), '3.0');
  });
  test('text in arithmetic fails with "Expected a decimal"', () => {
    assert.deepEqual(run('event.properties.value * event.properties.units', { ...EMPTY, properties: { value: 'invalid_value', units: 2 } }), {
      error: 'expected_decimal',
      message: 'Expected a decimal',
    });
  });
  test('a numeric property is a number, other text a string', () => {
    assert.equal(run('event.properties.bar + 0', { ...EMPTY, properties: { bar: '123' } }), '123.0');
    assert.equal(run('event.properties.bar', { ...EMPTY, properties: { bar: 'foo' } }), 'foo');
  });
});

describe('expression: grammar', () => {
  const valid = [
    '1+2',
    '1 + event.timestamp',
    ' 1 + 2 ',
    '2*-3',
    '1 - -1',
    '1--1',
    '- 1',
    '-(-1)',
    'ceil(123, -1)',
    'CONCAT(1)',
    'Concat(1)',
    'LEAST(1, 2)',
    'GREATEST(1, 2)',
    'Round(1)',
    'round (1)',
    'round( 1 , 2 )',
    "'spaces and (symbols) + - * / are text'",
    "'tab\there'",
    '007',
    'event.properties.a_1',
    'event.properties.A',
    'round((event.properties.ended_at - event.properties.started_at) * event.properties.units)',
  ];
  for (const text of valid) test(`valid: ${JSON.stringify(text)}`, () => assert.equal(parseExpression(text).ok, true));

  const invalid = [
    '',
    ' ',
    '1+',
    '1.1.1',
    '1.',
    '.5',
    '1e3',
    '+1',
    '--1',
    '1\t+ 1',
    '1\n',
    'units',
    'round((ended_at - started_at) * units)',
    'event.properties',
    'event.properties._x',
    'event.properties.1x',
    'event.properties.a-b',
    'event. code',
    'event.id',
    'rOund(1)',
    'round()',
    'round(1, 2, 3)',
    'floor(1, 2, 3)',
    'concat()',
    'sum(1)',
    '"text"',
    "'open",
    '(1',
    '1)',
    '1 2',
    'round(1,)',
  ];
  for (const text of invalid) test(`invalid: ${JSON.stringify(text)}`, () => assert.equal(parseExpression(text).ok, false));

  test('precedence and associativity', () => {
    assert.equal(run('2 + 3 * 4'), '14.0');
    assert.equal(run('(2 + 3) * 4'), '20.0');
    assert.equal(run('10 - 4 - 3'), '3.0');
    assert.equal(run('100 / 10 / 5'), '2.0');
    assert.equal(run('-2 * 3'), '-6.0');
  });

  test('an error says where the text stops being an expression', () => {
    assert.deepEqual(parseExpression('1 +'), { ok: false, error: { message: 'unexpected end of expression', position: 3 } });
  });

  test('deep nesting is refused without exhausting the stack', () => {
    const deep = `${'('.repeat(100_000)}1${')'.repeat(100_000)}`;
    assert.equal(parseExpression(deep).ok, false);
    assert.equal(parseExpression(Array(MAX_EXPRESSION_DEPTH + 2).fill('1').join('+')).ok, false);
    assert.equal(run(Array(200).fill('1').join(' + ')), '200.0');
  });
});

describe('expression: exact decimals', () => {
  const cases: Array<[string, string]> = [
    ['0.1 + 0.2', '0.3'],
    ['1/3', `0.${'3'.repeat(100)}`],
    ['2/3', `0.${'6'.repeat(99)}7`],
    ['-2/3', `-0.${'6'.repeat(99)}7`],
    ['10/3', `3.${'3'.repeat(99)}`],
    ['10/4', '2.5'],
    ['123456789012345678901234567890 * 1000000000000', '123456789012345678901234567890000000000000.0'],
    ['0.000000000000000000000000000001 * 3', '0.000000000000000000000000000003'],
    ['round(2.5)', '3.0'],
    ['round(-2.5)', '-3.0'],
    ['round(-2.4)', '-2.0'],
    ['ceil(-12.3)', '-12.0'],
    ['floor(-12.3)', '-13.0'],
    ['round(1234.5678, 2)', '1234.57'],
    ['round(1250, -2)', '1300.0'],
    ['round(12.5, 1.9)', '12.5'],
    ['floor(0.4)', '0.0'],
    ['ceil(-0.4)', '0.0'],
    ['least(3, 1, 2)', '1.0'],
    ['greatest(3, 1, 2)', '3.0'],
  ];
  for (const [expression, expected] of cases) test(`${expression} = ${expected}`, () => assert.equal(run(expression), expected));

  test('the result is the shared Decimal type, with every digit', () => {
    const parsed = parseExpression('event.properties.a * event.properties.b');
    assert.ok(parsed.ok);
    const result = evaluateExpression(parsed.value, { ...EMPTY, properties: { a: '1.0000000000000000000001', b: '3' } });
    assert.ok(result.ok && result.value instanceof Decimal);
    assert.equal((result.value as Decimal).toFixed(), '3.0000000000000000000003');
  });

  test('matches exact rational arithmetic on random sums and products', () => {
    const amount = fc.tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 6 }));
    fc.assert(
      fc.property(amount, amount, amount, ([a, da], [b, db], [c, dc]) => {
        const text = (n: number, d: number) => new Decimal(n).div(10 ** d).toFixed();
        const [x, y, z] = [text(a, da), text(b, db), text(c, dc)];
        const result = run('event.properties.x * event.properties.y + event.properties.z', { ...EMPTY, properties: { x, y, z } });
        const expected = new Decimal(x).times(y).plus(z);
        return typeof result === 'string' && new Decimal(result).eq(expected);
      }),
    );
  });
});

describe('expression: properties as Lago reads them', () => {
  const props = (properties: Record<string, unknown>): ExpressionEvent => ({ ...EMPTY, properties });
  const cases: Array<[string, unknown, string]> = [
    ['a JSON number', 2.4, '3.4'],
    ['a numeric string', '2.4', '3.4'],
    ['an exponent', '1e3', '1001.0'],
    ['an upper-case exponent', '2.5E-1', '1.25'],
    ['a leading point', '.5', '1.5'],
    ['a trailing point', '5.', '6.0'],
    ['a sign', '-5', '-4.0'],
    ['a plus sign', '+5', '6.0'],
    ['underscores between digits', '1_000', '1001.0'],
    ['a big JSON number', 1e21, '1000000000000000000001.0'],
  ];
  for (const [name, value, expected] of cases) test(`${name} is a number`, () => assert.equal(run('event.properties.v + 1', props({ v: value })), expected));

  const strings: Array<[string, unknown, string]> = [
    ['text', 'abc', 'abc'],
    ['a space around digits', ' 5', ' 5'],
    ['true', true, 'true'],
    ['null', null, ''],
    ['an object', { a: 1 }, '{"a":1}'],
    ['hexadecimal', '0x10', '0x10'],
    ['Infinity', 'Infinity', 'Infinity'],
    ['a lone sign', '-', '-'],
    ['a double sign', '-+5', '-+5'],
    ['a leading underscore', '_5', '_5'],
  ];
  for (const [name, value, expected] of strings) {
    test(`${name} is text`, () => {
      assert.equal(run('concat(event.properties.v)', props({ v: value })), expected);
      assert.equal((run('event.properties.v + 1', props({ v: value })) as { error: string }).error, 'expected_decimal');
    });
  }

  test('a property must be an own key', () => {
    assert.equal((run('event.properties.toString', EMPTY) as { error: string }).error, 'missing_variable');
  });
});

describe('expression: concat prints numbers as Lago’s engine does', () => {
  const cases: Array<[string, string]> = [
    ['1.23', '1.23'],
    ['12.50', '12.50'],
    ['2.50 * 2', '5.00'],
    ['1.5 + 1.25', '2.75'],
    ['20.0 / 4', '5.0'],
    ['5 / 1.0', '5'],
    ['round(7.5)', '8'],
    ['round(2, 3)', '2.000'],
    ['round(1234, -2)', '1200'],
    ['0.0000001', '1E-7'],
    ['0.00000123', '0.00000123'],
    ['0.000000123', '1.23E-7'],
    ['round(1, -16)', '0'],
    ['ceil(1, -16)', '1e+16'],
    ['ceil(1, -15)', '1000000000000000'],
    ['-1 * 0', '0'],
    ['-1.5', '-1.5'],
    ['least(5, 5.0)', '5'],
    ['greatest(5, 5.0)', '5.0'],
  ];
  for (const [expression, expected] of cases) test(`${expression} prints ${expected}`, () => assert.equal(printed(expression), expected));

  test('a property keeps the digits it was sent with', () => {
    assert.equal(printed('event.properties.v', { ...EMPTY, properties: { v: '1.50' } }), '1.50');
    assert.equal(printed('event.properties.v', { ...EMPTY, properties: { v: '1e3' } }), '1000');
  });
});

describe('expression: failures are results, never exceptions', () => {
  const failures: Array<[string, ExpressionErrorCode, string]> = [
    ['1 / 0', 'division_by_zero', 'Division by zero'],
    ['1 / (2 - 2)', 'division_by_zero', 'Division by zero'],
    ["'a' + 1", 'expected_decimal', 'Expected a decimal'],
    ["-'a'", 'expected_decimal', 'Expected a decimal'],
    ["round('a')", 'expected_decimal', 'Expected a decimal'],
    ["round(1, 'a')", 'expected_decimal', 'Expected a decimal'],
    ["least(1, 'a')", 'expected_decimal', 'Expected a decimal'],
    ['event.code * 2', 'expected_decimal', 'Expected a decimal'],
    ['event.properties.x / 0', 'missing_variable', 'Variable: x not found'],
    ['round(1, 100000)', 'out_of_range', 'Number out of range: more than 10000 digits'],
    ['round(1, 99999999999999999999)', 'out_of_range', 'Number out of range: rounding digits'],
  ];
  for (const [expression, code, message] of failures) {
    test(`${expression}: ${code}`, () => assert.deepEqual(run(expression), { error: code, message }));
  }

  test('numbers too long to compute are refused, not computed for minutes', () => {
    const event = { ...EMPTY, properties: { tiny: '1e-1000000000', huge: '1e1000000000' } };
    assert.equal((run('event.properties.tiny + 1', event) as { error: string }).error, 'out_of_range');
    assert.equal(printed('event.properties.tiny', event), '1E-1000000000');
    assert.equal(printed('event.properties.huge', event), '1e+1000000000');
    assert.equal(run('event.properties.huge * event.properties.tiny', event), '1.0');
  });

  test('concat() refuses to build text beyond MAX_TEXT_LENGTH', () => {
    const big = 'x'.repeat(400_000);
    const event = { ...EMPTY, properties: { big } };
    assert.equal((run('concat(event.properties.big, event.properties.big)', event) as string).length, 800_000);
    assert.deepEqual(run('concat(event.properties.big, event.properties.big, event.properties.big)', event), {
      error: 'out_of_range',
      message: `Text out of range: more than ${MAX_TEXT_LENGTH} characters`,
    });
  });
});

describe('expression: parse once, evaluate many', () => {
  test('one parsed expression evaluates 100k events quickly', () => {
    const parsed = parseExpression('round(event.properties.duration_ms / 1000, 2) * event.properties.units');
    assert.ok(parsed.ok);
    const started = performance.now();
    let total = new Decimal(0);
    for (let i = 0; i < 100_000; i++) {
      const result = evaluateExpression(parsed.value, { code: 'calls', timestamp: 1_700_000_000 + i, properties: { duration_ms: 1234 + i, units: 2 } });
      assert.ok(result.ok);
      total = total.plus(result.value as Decimal);
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
    assert.ok(total.gt(0));
  });
});

describe('expression: very long numbers keep every digit when printed', () => {
  test('a 50,000-digit property prints unchanged', () => {
    const digits = `9${'0123456789'.repeat(5_000)}.25`;
    assert.equal(printed('event.properties.v', { ...EMPTY, properties: { v: digits } }), digits);
  });
});
