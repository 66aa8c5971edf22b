import * as http from 'node:http';

// The guard every test file runs with (test/setup/no-network.ts): nothing leaves the machine.
describe('outbound network guard', () => {
  it('fails fetch() to a non-loopback host', async () => {
    const error = await fetch('http://93.184.215.14/oauth/token').then(
      () => new Error('request went out'),
      (e: Error) => e,
    );
    const cause = error.cause instanceof Error ? error.cause.name : '';
    expect(`${error.name} ${cause} ${error.message}`).toMatch(/NetConnectNotAllowedError|Disallowed net connect/);
  });

  it('fails node:http requests to a non-loopback host with NetConnectNotAllowedError', async () => {
    const error = await new Promise<Error>((resolve) => {
      http.get('http://api.infusionsoft.com/token', () => resolve(new Error('request went out'))).on('error', resolve);
    });
    expect(error.name).toBe('NetConnectNotAllowedError');
  });

  it('lets loopback through', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    } finally {
      server.close();
    }
  });
});
