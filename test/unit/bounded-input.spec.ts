import { FORM_MAX_FIELDS, formFields, nestedDeeperThan } from '../../src/http/body-parsers';
import { parseBoundedQuery, QUERY_MAX_PARAMETERS, TOO_MANY_PARAMETERS } from '../../src/http/client-errors';
import { clientKey } from '../../src/http/rate-limit';

describe('formFields: linear and bounded', () => {
  it('a name sent once is a string, several times a list, in order', () => {
    expect({ ...formFields('a=1&b=2&a=3&a=4') }).toEqual({ a: ['1', '3', '4'], b: '2' });
  });

  it(`more than ${FORM_MAX_FIELDS} fields: undefined; exactly that many: read`, () => {
    expect(formFields('a&'.repeat(FORM_MAX_FIELDS - 1) + 'a')?.a).toHaveLength(FORM_MAX_FIELDS);
    expect(formFields('a&'.repeat(FORM_MAX_FIELDS) + 'a')).toBeUndefined();
  });

  it('50,000 repeats of one name (100 kB) take milliseconds: a repeat appends, it does not copy the list', () => {
    const flood = 'a&'.repeat(50_000);
    const started = process.hrtime.bigint();
    const fields = formFields(flood, Number.MAX_SAFE_INTEGER);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(fields?.a).toHaveLength(50_000);
    // Copying the list at each repeat (the old code) took seconds here; appending takes a few ms.
    expect(ms).toBeLessThan(500);
  });

  it('has no prototype: __proto__ is a field like any other', () => {
    const fields = formFields('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(fields?.['__proto__']).toBe('x');
  });
});

describe('nestedDeeperThan', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  it.each([
    [deep(64), 64, false],
    [deep(65), 64, true],
    [`{"a":${deep(63)}}`, 64, false],
    [`{"a":${deep(64)}}`, 64, true],
    [JSON.stringify({ s: '[[[[[[[[[[' }), 2, false],
    [JSON.stringify({ s: '\\"[[[[[[[[' }), 2, false],
    [JSON.stringify({ s: '"', t: [[[]]] }), 4, false],
    [JSON.stringify({ s: '"', t: [[[[]]]] }), 4, true],
    ['[] [] [] []', 1, false],
  ])('%s with max %d: %s', (text, max, expected) => {
    expect(nestedDeeperThan(text, max)).toBe(expected);
  });
});

describe('parseBoundedQuery', () => {
  it('parses as Fastify does: repeated names as lists, no prototype', () => {
    const query = parseBoundedQuery('a=1&a=2&b=%20x&c');
    expect({ ...query }).toEqual({ a: ['1', '2'], b: ' x', c: '' });
    expect(parseBoundedQuery('')).toEqual({});
  });

  it(`at most ${QUERY_MAX_PARAMETERS} parameters; beyond, the marker the first hook refuses`, () => {
    const query = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
    expect(Object.keys(parseBoundedQuery(query(QUERY_MAX_PARAMETERS)))).toHaveLength(QUERY_MAX_PARAMETERS);
    expect(parseBoundedQuery(query(QUERY_MAX_PARAMETERS + 1))).toBe(TOO_MANY_PARAMETERS);
  });
});

describe('clientKey: who a client is for the rate limits', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8::1:0:0:1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['1::2:3:4:5:1.2.3.4', '1:0:2:3::/64'],
    ['::ffff:102:304', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8:0:0::/64'],
  ])('%s → %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });

  it('every address of one /64 is one client; the next /64 is another', () => {
    const keys = new Set(['2001:db8:a:b::1', '2001:db8:a:b:1::', '2001:db8:a:b:dead:beef:0:1'].map(clientKey));
    expect(keys.size).toBe(1);
    expect(clientKey('2001:db8:a:c::1')).not.toBe(clientKey('2001:db8:a:b::1'));
  });
});
