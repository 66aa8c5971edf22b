import { oauthStrategyClass } from '../core/oauth-strategy';

/** Passport strategy "keap": the browser half of the flow (redirect, state, callback). */
export class KeapStrategy extends oauthStrategyClass('keap') {}
