import { oauthStrategyClass } from '../core/oauth-strategy';

/** Passport strategy "clickfunnels-classic": the browser half of the flow (redirect, state, callback). */
export class ClickfunnelsClassicStrategy extends oauthStrategyClass('clickfunnels-classic') {}
