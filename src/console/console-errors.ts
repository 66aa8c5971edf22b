/** No valid session: the filter sends the browser to the sign-in page. */
export class ConsoleSignInRequired extends Error {}

/** A state-changing request without this session's CSRF token, or from another site. */
export class ConsoleForbidden extends Error {}
