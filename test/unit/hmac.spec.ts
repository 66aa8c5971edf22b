import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hmac, parseEpoch, signatureMatches, withinTolerance } from '../../src/crypto/hmac';
import { signWebhook } from '../../src/webhooks/signature';

// The shared HMAC piece (src/crypto/hmac.ts), against node:crypto used directly.
describe('src/crypto/hmac.ts', () => {
  const key = 'k3y';
  const mac = createHmac('sha256', key).update('1700000000.{"a": 1}').digest();

  it('HMACs its parts as one concatenation of their bytes', () => {
    expect(hmac('sha256', key, '1700000000', '.', Buffer.from('{"a": 1}'))).toEqual(mac);
    expect(hmac('sha256', Buffer.from(key), '1700000000.{"a": 1}')).toEqual(mac);
    expect(hmac('sha256', key, 'é')).toEqual(createHmac('sha256', key).update(Buffer.from('é', 'utf8')).digest());
  });

  it('matches a signature in hex (either case) or canonical base64', () => {
    expect(signatureMatches(mac.toString('hex'), mac, 'hex')).toBe(true);
    expect(signatureMatches(mac.toString('hex').toUpperCase(), mac, 'hex')).toBe(true);
    expect(signatureMatches(mac.toString('base64'), mac, 'base64')).toBe(true);
  });

  const hex = mac.toString('hex');
  const b64 = mac.toString('base64');
  it.each<[string, unknown, 'hex' | 'base64']>([
    ['missing', undefined, 'hex'],
    ['empty', '', 'hex'],
    ['a repeated header', [hex, hex], 'hex'],
    ['a number', 42, 'hex'],
    ['one character short', hex.slice(0, -1), 'hex'],
    ['one byte short', hex.slice(0, -2), 'hex'],
    ['one byte long', `${hex}00`, 'hex'],
    ['non-hex of the right length', `${hex.slice(0, -2)}zz`, 'hex'],
    ['a prefixed value', `sha256=${hex}`, 'hex'],
    ['surrounding space', ` ${hex}`, 'hex'],
    ['base64 where hex is expected', b64, 'hex'],
    ['hex where base64 is expected', hex, 'base64'],
    ['base64 without its padding', b64.replace(/=+$/, ''), 'base64'],
    ['base64url', b64.replace(/\+/g, '-').replace(/\//g, '_'), 'base64'],
    ['base64 with a stray character', `${b64.slice(0, 10)}!${b64.slice(11)}`, 'base64'],
    ['a truncated base64', b64.slice(0, -4), 'base64'],
  ])('refuses %s without throwing', (_name, received, encoding) => {
    expect(signatureMatches(received, mac, encoding)).toBe(false);
  });

  it('never throws, whatever the header holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.string()), fc.constant(undefined)), (received) => {
        expect(signatureMatches(received, mac, 'hex')).toBe(false);
        expect(signatureMatches(received, mac, 'base64')).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('reads epoch timestamps only as plain digits', () => {
    expect(parseEpoch('1700000000', 'seconds')).toBe(1_700_000_000_000);
    expect(parseEpoch('1700000000123', 'milliseconds')).toBe(1_700_000_000_123);
    for (const bad of [undefined, '', ' 1700000000', '1700000000 ', '-1', '+1', '1.5', '1e9', '0x10', 'abc', ['1']])
      expect(parseEpoch(bad, 'seconds')).toBeUndefined();
    expect(parseEpoch('1'.repeat(17), 'milliseconds')).toBeUndefined();
  });

  it('keeps a timestamp within its tolerance in both directions, the bound included', () => {
    const now = new Date(1_700_000_000_000);
    expect(withinTolerance(now.getTime() - 600_000, now, 600)).toBe(true);
    expect(withinTolerance(now.getTime() + 600_000, now, 600)).toBe(true);
    expect(withinTolerance(now.getTime() - 600_001, now, 600)).toBe(false);
    expect(withinTolerance(now.getTime() + 600_001, now, 600)).toBe(false);
  });

  it('leaves the outbound Standard Webhooks signature as it was', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    expect(signWebhook(secret, 'msg_1', 1_700_000_000, '{"b":2}')).toBe(
      `v1,${createHmac('sha256', secret).update('msg_1.1700000000.{"b":2}').digest('base64')}`,
    );
  });
});
