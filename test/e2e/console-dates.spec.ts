import { shownDate } from '../../src/console/console-dates';

/**
 * The console's one date formatter, which every page's dates go through (the connections pages, the
 * webhook deliveries list, the API keys page). Pure: no app.
 */
describe('console dates (shownDate)', () => {
  const at = '2030-01-02T03:04:05.678Z';
  const now = Date.parse(at);

  it('is UTC text to the minute, or to the second when asked, and the exact instant for <time>', () => {
    expect(shownDate(at, { now })).toEqual({ iso: at, text: '2030-01-02 03:04 UTC', relative: 'now' });
    expect(shownDate(new Date(at), { now, seconds: true })).toEqual({
      iso: at,
      text: '2030-01-02 03:04:05 UTC',
      relative: 'now',
    });
    // A Date and its ISO string are the same date.
    expect(shownDate(new Date(at), { now })).toEqual(shownDate(at, { now }));
    // Not the reader's time zone: the text is the ISO instant's, whatever TZ the process runs in.
    expect(shownDate('2030-06-30T23:59:59.999+02:00', { now })!.text).toBe('2030-06-30 21:59 UTC');
  });

  it('says how far from now: "now" within a minute, then minutes, hours up to two days, then days', () => {
    const relative = (ms: number) => shownDate(new Date(now + ms), { now })!.relative;
    expect(relative(59_999)).toBe('now');
    expect(relative(-59_999)).toBe('now');
    expect(relative(60_000)).toBe('in 1 min');
    expect(relative(-5 * 60_000)).toBe('5 min ago');
    expect(relative(59 * 60_000 + 29_000)).toBe('in 59 min');
    expect(relative(3_600_000)).toBe('in 1 h');
    expect(relative(-47 * 3_600_000)).toBe('47 h ago');
    expect(relative(48 * 3_600_000)).toBe('in 2 d');
    expect(relative(-30 * 86_400_000)).toBe('30 d ago');
  });

  it('is null for no date, and "now" is the clock unless the page gives one', () => {
    expect(shownDate(null)).toBeNull();
    expect(shownDate(null, { seconds: true })).toBeNull();
    expect(shownDate(new Date(Date.now() + 3 * 3_600_000))!.relative).toBe('in 3 h');
  });
});
