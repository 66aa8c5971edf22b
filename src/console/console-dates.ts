/** A date-time as the console's pages show it: ISO for `<time datetime>`, UTC text, and how far from now. */
export interface ShownDate {
  iso: string;
  /** `2030-01-02 03:04 UTC`, or `2030-01-02 03:04:05 UTC` to the second. */
  text: string;
  /** `now` (under a minute away), `in 5 min`, `3 h ago`, `2 d ago`. */
  relative: string;
}

export interface ShownDateOptions {
  /** What "now" is (ms since the epoch): one value for a whole page, so its dates agree. */
  now?: number;
  /** The text to the second (the webhook deliveries list) rather than to the minute. */
  seconds?: boolean;
}

/**
 * The console's one date formatter (every page's dates go through it): `at`, a Date or an ISO string
 * (as the API's DTOs carry them), or null for none. Always UTC: a page says the same thing whoever
 * reads it, and the `<time>` element carries the exact instant.
 */
export function shownDate(at: Date | string | null, options: ShownDateOptions = {}): ShownDate | null {
  if (at === null) return null;
  const date = typeof at === 'string' ? new Date(at) : at;
  const iso = date.toISOString();
  const text = `${iso.slice(0, options.seconds ? 19 : 16).replace('T', ' ')} UTC`;
  const diff = date.getTime() - (options.now ?? Date.now());
  const abs = Math.abs(diff);
  const amount =
    abs < 60_000
      ? undefined
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 48 * 3_600_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  const relative = amount === undefined ? 'now' : diff > 0 ? `in ${amount}` : `${amount} ago`;
  return { iso, text, relative };
}
