import { OAuthFlowService } from '../../src/oauth/oauth-flow.service';
import type { OAuthProvider } from '../../src/providers/core/provider';

/**
 * account_mismatch (a reconnect that came back with another provider account): its tokens are never
 * stored, and revoked only where the provider revokes single tokens. A provider whose one revocation
 * may end the user's whole grant (a generic provider: revokeSupersededTokens false) is never asked:
 * the grant may be the reconnected connection's own (one user, several tenants).
 */
describe('account_mismatch: which discarded tokens are revoked', () => {
  const tokens = { accessToken: 'at-other', refreshToken: 'rt-other', tokenType: 'Bearer', raw: {} };
  const reconnected = { id: '6f1c2b7e-5a41-4d1f-9b0e-0d8c1e2f3a4b' };

  function setup(revokeSupersededTokens: boolean, held: unknown[] = []) {
    const revoke = jest.fn().mockResolvedValue('revoked');
    const provider = {
      name: 'acme',
      supports: { revoke: true },
      settings: { revokeSupersededTokens },
      revoke,
    } as unknown as OAuthProvider;
    const findAllByAccount = jest.fn().mockResolvedValue(held);
    const enqueue = jest.fn();
    const service = new OAuthFlowService(
      {} as never,
      {} as never,
      {} as never,
      {} as never,
      { findAllByAccount } as never,
      {} as never,
      { enqueue } as never,
      {} as never,
      { manager: {} } as never,
      {} as never,
    );
    const discard = (
      service as unknown as {
        discard(p: OAuthProvider, t: typeof tokens, accountId: string, c: typeof reconnected): Promise<void>;
      }
    ).discard.bind(service);
    return { discard: () => discard(provider, tokens, 'tenant-b', reconnected), revoke, enqueue };
  }

  it('a provider that may end the whole grant with one token: never revoked, even when the account has no connection here', async () => {
    const { discard, revoke, enqueue } = setup(false);
    await discard();
    expect(revoke).not.toHaveBeenCalled();
    expect(enqueue).not.toHaveBeenCalled();
  });

  it('a provider that revokes single tokens (Webflow, ClickFunnels 2.0): revoked', async () => {
    const { discard, revoke } = setup(true);
    await discard();
    expect(revoke).toHaveBeenCalledWith({ accessToken: 'at-other', refreshToken: 'rt-other' });
  });
});
