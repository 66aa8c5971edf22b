import { oauthStrategyClass, ProviderStrategyClass } from '../core/oauth-strategy';

const classes = new Map<string, ProviderStrategyClass>();

/** One Passport strategy class per configured name (Passport registers strategies by name). */
export function genericStrategyClass(name: string): ProviderStrategyClass {
  let Strategy = classes.get(name);
  if (!Strategy) {
    Strategy = oauthStrategyClass(name);
    classes.set(name, Strategy);
  }
  return Strategy;
}
