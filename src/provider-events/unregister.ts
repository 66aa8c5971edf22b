import { OAuthProvider } from '../providers/core/provider';
import { ProviderError } from '../providers/core/provider-errors';
import { SubscriptionConnection } from '../providers/core/provider-events';

/** What one unregistration attempt came to; `final`: retrying cannot help (the token is refused, or may not do it). */
export type UnregisterResult = { removed: true } | { removed: false; error: string; final: boolean };

/**
 * Removes what a subscription registered at its provider, with `accessToken`. Never throws for the
 * provider's failures: the error is a code of ours (the ProviderError kind), never the provider's text.
 * A provider that cannot unregister any more (its registration support is gone from the configuration)
 * has nothing this service can call: removed as far as it can tell.
 */
export async function unregister(
  provider: OAuthProvider,
  accessToken: string,
  connection: SubscriptionConnection,
  remoteIds: readonly string[],
): Promise<UnregisterResult> {
  const events = provider.events;
  if (!events?.unsubscribe || !remoteIds.length) return { removed: true };
  try {
    await events.unsubscribe({ accessToken, connection, remoteIds });
    return { removed: true };
  } catch (error) {
    if (error instanceof ProviderError)
      return {
        removed: false,
        error: error.kind,
        // Refused (401), or accepted but not allowed to remove it (403): the kept token never will be.
        final: error.kind === 'unauthorized' || error.kind === 'forbidden' || error.kind === 'invalid_grant',
      };
    return { removed: false, error: 'provider_error', final: false };
  }
}
