import { emailOf, FIXED_DATE, numberOf, personName } from './accounts';
import { ApiCall, ApiRoute, IssuedTokens, SandboxAccount, SimulatorBase, WireRules } from './simulator';
import { json, SandboxReply } from './wire';

const FUNNELS = ['Lead Magnet Funnel', 'Sales Funnel'];

/**
 * ClickFunnels Classic, docs/providers.md#clickfunnels-classic: JSON token and refresh calls with the
 * client credentials in the body, rotating refresh tokens, two-hour access tokens, no revoke. API base
 * `https://api.clickfunnels.com/api/v2`: the user (`/me`; the service has no whoami for Classic) and
 * the funnel list.
 */
export class ClickfunnelsClassicSimulator extends SimulatorBase {
  readonly name = 'clickfunnels-classic';
  readonly displayName = 'ClickFunnels Classic';
  readonly wire: WireRules = {
    tokenBody: { json: true, form: false },
    clientAuth: ['body'],
    grantTypes: ['authorization_code', 'refresh_token'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    pkce: false,
    scopeSeparator: ' ',
    accessTokenTtlSeconds: 7200,
    refreshTokenTtlSeconds: null,
  };

  readonly api: readonly ApiRoute[] = [
    { method: 'GET', path: 'me', whoami: true, handle: (call) => this.me(call) },
    { method: 'GET', path: 'funnels', handle: (call) => this.funnels(call) },
  ];

  account(seed: string): SandboxAccount {
    return { userId: String(numberOf(['cfc-user', seed], 100_000, 900_000)), email: emailOf(seed) };
  }

  tokenResponse(issued: IssuedTokens): Record<string, unknown> {
    return {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: 7200,
      refresh_token: issued.refreshToken,
    };
  }

  private me({ token: { account } }: ApiCall): SandboxReply {
    return json({ id: Number(account.userId), email: account.email });
  }

  /** `GET /funnels`: the user's two funnels. */
  private funnels({ token: { account } }: ApiCall): SandboxReply {
    const owner = personName(account.email).first;
    return json(
      FUNNELS.map((name, i) => ({
        id: numberOf(['cfc-funnel', account.userId, String(i)], 1_000_000, 9_000_000),
        name: `${owner}'s ${name}`,
        user_id: Number(account.userId),
        created_at: FIXED_DATE,
        updated_at: FIXED_DATE,
      })),
    );
  }
}
