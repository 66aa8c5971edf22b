import { oauthStrategyClass } from '../core/oauth-strategy';

/** Passport strategy "clickfunnels": the browser half of the flow (redirect, state, callback). */
export class ClickfunnelsStrategy extends oauthStrategyClass('clickfunnels') {}
