import { oauthStrategyClass } from '../core/oauth-strategy';

/** Passport strategy "webflow": the browser half of the flow (redirect, state, callback). */
export class WebflowStrategy extends oauthStrategyClass('webflow') {}
