import { oauthStrategyClass } from '../core/oauth-strategy';

/** Passport strategy "lightfunnels": the browser half of the flow (redirect, state, callback). */
export class LightfunnelsStrategy extends oauthStrategyClass('lightfunnels') {}
