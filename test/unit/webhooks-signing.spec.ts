import { createHmac, randomBytes } from 'node:crypto';
import { ConfigError } from '../../src/config/env';
import { signatureHeader } from '../../src/webhooks/signature';
import { loadWebhooksConfig } from '../../src/webhooks/webhooks.config';

const whsec = (bytes: Buffer) => `whsec_${bytes.toString('base64')}`;

describe('webhook secrets and signatures', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('accepts several secrets (commas or spaces), the newest first', () => {
    const c = loadWebhooksConfig({
      WEBHOOK_URL: 'https://hooks.test/x',
      WEBHOOK_SECRET: `${whsec(newKey)}, ${whsec(oldKey)}`,
    });
    expect(c.secrets.map((s) => s.toString('hex'))).toEqual([newKey.toString('hex'), oldKey.toString('hex')]);
    expect(loadWebhooksConfig({ WEBHOOK_SECRET: `${whsec(newKey)} ${whsec(oldKey)}` }).secrets).toHaveLength(2);
    expect(loadWebhooksConfig({}).retentionMs).toBe(30 * 86_400_000);
  });

  it.each([[`${whsec(randomBytes(32))},not-a-secret`], [`whsec_${randomBytes(8).toString('base64')}`]])(
    'refuses %j naming the variable, not the value',
    (value) => {
      let message = '';
      try {
        loadWebhooksConfig({ WEBHOOK_SECRET: value });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toContain('WEBHOOK_SECRET');
      expect(message).not.toContain(value);
    },
  );

  it('signs with each secret, so a receiver that knows either verifies', () => {
    const header = signatureHeader([newKey, oldKey], 'msg_1', 1_700_000_000, '{"a":1}');
    const expected = (key: Buffer) =>
      `v1,${createHmac('sha256', key).update('msg_1.1700000000.{"a":1}').digest('base64')}`;
    expect(header.split(' ')).toEqual([expected(newKey), expected(oldKey)]);
  });
});
