import { isAllowedReturnUrl, withQuery } from '../../src/connect-sessions/return-url';

describe('isAllowedReturnUrl', () => {
  const allowed = ['https://app.example.test/app', 'http://localhost:3000'];

  it.each([
    'https://app.example.test/app',
    'https://app.example.test/app/',
    'https://app.example.test/app/settings/integrations',
    'https://app.example.test/app?tab=crm#done',
    'https://APP.example.test/app/x',
    'https://app.example.test:443/app/x',
    'http://localhost:3000',
    'http://localhost:3000/',
    'http://localhost:3000/anything/at/all?x=1',
  ])('allows %s', (candidate) => {
    expect(isAllowedReturnUrl(candidate, allowed)).toBe(true);
  });

  it.each([
    ['a path that only starts with the prefix', 'https://app.example.test/application'],
    ['a sibling path', 'https://app.example.test/apple/x'],
    ['another path', 'https://app.example.test/admin'],
    ['the bare origin when a path is required', 'https://app.example.test/'],
    ['a prefix in another case', 'https://app.example.test/App/x'],
    ['http instead of https', 'http://app.example.test/app'],
    ['another port', 'https://app.example.test:8443/app'],
    ['localhost on another port', 'http://localhost:3001/'],
    ['127.0.0.1 for localhost', 'http://127.0.0.1:3000/'],
    ['a subdomain', 'https://evil.app.example.test/app'],
    ['a look-alike suffix', 'https://app.example.test.evil.test/app'],
    ['a look-alike prefix', 'https://evilapp.example.test/app'],
    ['userinfo that looks like the host', 'https://app.example.test@evil.test/app'],
    ['userinfo with a port', 'https://app.example.test:443@evil.test/app'],
    ['userinfo on the right host', 'https://user:pass@app.example.test/app'],
    ['a username on the right host', 'https://user@app.example.test/app'],
    ['a backslash trick', 'https://evil.test\\@app.example.test/app'],
    ['a protocol-relative URL', '//evil.test/app'],
    ['a relative path', '/app/x'],
    ['javascript:', 'javascript:alert(1)//https://app.example.test/app'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['an ftp URL', 'ftp://app.example.test/app'],
    ['garbage', 'not a url'],
    ['an empty string', ''],
  ])('refuses %s', (_name, candidate) => {
    expect(isAllowedReturnUrl(candidate, allowed)).toBe(false);
  });

  it('resolves dot segments before comparing paths', () => {
    expect(isAllowedReturnUrl('https://app.example.test/app/../admin', allowed)).toBe(false);
    expect(isAllowedReturnUrl('https://app.example.test/app/x/../y', allowed)).toBe(true);
    expect(isAllowedReturnUrl('https://app.example.test/app/%2e%2e/admin', allowed)).toBe(false);
  });

  it('treats an entry with a trailing slash like one without', () => {
    expect(isAllowedReturnUrl('https://app.example.test/app', ['https://app.example.test/app/'])).toBe(true);
    expect(isAllowedReturnUrl('https://app.example.test/apple', ['https://app.example.test/app/'])).toBe(false);
  });

  it('ignores the query and fragment of an entry', () => {
    expect(isAllowedReturnUrl('https://app.example.test/app/x', ['https://app.example.test/app?a=1#f'])).toBe(true);
  });

  it('compares the IDN host in its ASCII form', () => {
    expect(isAllowedReturnUrl('https://bücher.example.test/x', ['https://xn--bcher-kva.example.test'])).toBe(true);
    expect(isAllowedReturnUrl('https://bucher.example.test/x', ['https://xn--bcher-kva.example.test'])).toBe(false);
  });

  it('allows nothing with an empty list', () => {
    expect(isAllowedReturnUrl('https://app.example.test/app', [])).toBe(false);
  });
});

describe('withQuery', () => {
  it('adds the parameters, keeping the existing ones and the fragment', () => {
    expect(withQuery('https://app.example.test/app?tab=crm#top', { status: 'connected', connection_id: 'c1' })).toBe(
      'https://app.example.test/app?tab=crm&status=connected&connection_id=c1#top',
    );
  });

  it('replaces a parameter of the same name instead of repeating it', () => {
    const url = new URL(withQuery('https://app.example.test/app?status=old&status=older', { status: 'error' }));
    expect(url.searchParams.getAll('status')).toEqual(['error']);
  });

  it('encodes the values', () => {
    const url = withQuery('https://app.example.test/app', { message: 'a b&c=d/é' });
    expect(url).toBe('https://app.example.test/app?message=a+b%26c%3Dd%2F%C3%A9');
    expect(new URL(url).searchParams.get('message')).toBe('a b&c=d/é');
  });
});
