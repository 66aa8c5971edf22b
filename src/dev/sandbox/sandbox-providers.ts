import { NotFoundException, PipeTransform } from '@nestjs/common';

export type SandboxProviderName = 'keap' | 'webflow' | 'clickfunnels' | 'clickfunnels-classic' | 'lightfunnels';
export type GrantType = 'authorization_code' | 'refresh_token';
export type ClientAuth = 'body' | 'basic';

/** What a simulator accepts and answers; the per-provider wire rules of docs/providers.md as data. */
export interface SandboxProvider {
  name: SandboxProviderName;
  displayName: string;
  /** Content types the token endpoint accepts. */
  tokenBody: { json: boolean; form: boolean };
  clientAuth: ClientAuth[];
  grantTypes: GrantType[];
  /** Absent grant_type means authorization_code (Lightfunnels sends none). */
  grantTypeOptional: boolean;
  responseTypeOptional: boolean;
  /** required: must be sent and match; if_authorized: Webflow's rule; ignored: never checked. */
  redirectUriAtToken: 'required' | 'if_authorized' | 'ignored';
  /** Only Doorkeeper (ClickFunnels 2.0) honours PKCE; the others ignore code_challenge. */
  pkce: boolean;
  /** How the authorize URL separates scopes (for display). */
  scopeSeparator: string;
  /** Stored lifetimes; null = never expires. */
  accessTokenTtlSeconds: number | null;
  refreshTokenTtlSeconds: number | null;
  revoke: 'webflow' | 'rfc7009' | null;
}

const DAY = 86_400;

export const SANDBOX_PROVIDERS: Record<SandboxProviderName, SandboxProvider> = {
  keap: {
    name: 'keap',
    displayName: 'Keap (Infusionsoft)',
    tokenBody: { json: false, form: true },
    clientAuth: ['body', 'basic'],
    grantTypes: ['authorization_code', 'refresh_token'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    redirectUriAtToken: 'required',
    pkce: false,
    scopeSeparator: ' ',
    accessTokenTtlSeconds: DAY,
    // The seed says refresh tokens last 90 days (Keap staff have said 45).
    refreshTokenTtlSeconds: 90 * DAY,
    revoke: null,
  },
  clickfunnels: {
    name: 'clickfunnels',
    displayName: 'ClickFunnels 2.0',
    tokenBody: { json: true, form: false },
    clientAuth: ['body', 'basic'],
    grantTypes: ['authorization_code'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    redirectUriAtToken: 'required',
    pkce: true,
    scopeSeparator: ' ',
    // The response says expires_in 7200, the doc says tokens do not expire: the simulator follows the doc.
    accessTokenTtlSeconds: null,
    refreshTokenTtlSeconds: null,
    revoke: 'rfc7009',
  },
  'clickfunnels-classic': {
    name: 'clickfunnels-classic',
    displayName: 'ClickFunnels Classic',
    tokenBody: { json: true, form: false },
    clientAuth: ['body'],
    grantTypes: ['authorization_code', 'refresh_token'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    redirectUriAtToken: 'required',
    pkce: false,
    scopeSeparator: ' ',
    accessTokenTtlSeconds: 7200,
    refreshTokenTtlSeconds: null,
    revoke: null,
  },
  lightfunnels: {
    name: 'lightfunnels',
    displayName: 'Lightfunnels',
    // Form bodies only together with HTTP Basic client auth (the /api/access_token doc version).
    tokenBody: { json: true, form: true },
    clientAuth: ['body', 'basic'],
    grantTypes: ['authorization_code'],
    grantTypeOptional: true,
    responseTypeOptional: true,
    redirectUriAtToken: 'ignored',
    pkce: false,
    scopeSeparator: ',',
    accessTokenTtlSeconds: null,
    refreshTokenTtlSeconds: null,
    revoke: null,
  },
  webflow: {
    name: 'webflow',
    displayName: 'Webflow',
    tokenBody: { json: true, form: true },
    clientAuth: ['body'],
    grantTypes: ['authorization_code'],
    grantTypeOptional: false,
    responseTypeOptional: false,
    redirectUriAtToken: 'if_authorized',
    pkce: false,
    scopeSeparator: ' ',
    accessTokenTtlSeconds: null,
    refreshTokenTtlSeconds: null,
    revoke: 'webflow',
  },
};

/** Webflow documents a 15-minute code lifetime; the simulator uses it for every provider. */
export const CODE_TTL_SECONDS = 15 * 60;

export const sandboxClientId = (p: SandboxProvider) => `sandbox-${p.name}`;
export const sandboxClientSecret = (p: SandboxProvider) => `sandbox-secret-${p.name}`;

/** Route param → provider; anything else is an unknown route. */
export class SandboxProviderPipe implements PipeTransform<string, SandboxProvider> {
  transform(value: string): SandboxProvider {
    if (!Object.hasOwn(SANDBOX_PROVIDERS, value)) throw new NotFoundException();
    return SANDBOX_PROVIDERS[value as SandboxProviderName];
  }
}
