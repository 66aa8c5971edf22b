import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeProvider, FakeResponse, RecordedRequest } from './fake-provider';

/**
 * A generic provider (PROVIDERS_FILE) whose token endpoint is a FakeProvider outside the app: each token
 * request takes the next answer the test queued, so a test can hold one in flight and release it when
 * it wants. (The sandbox simulators run inside the app under test, so closing that app would also
 * close the provider.)
 */
export class StubProvider {
  readonly fake = new FakeProvider();
  /** Answers for the next token requests, in order; a request with none queued gets a 500. */
  readonly tokenAnswers: ((req: RecordedRequest) => FakeResponse | Promise<FakeResponse>)[] = [];
  private dir?: string;

  constructor(
    readonly name = 'stub',
    private readonly entry: Record<string, unknown> = {},
  ) {}

  async start(): Promise<this> {
    await this.fake.start();
    this.fake.on('POST', '/token', (req) => {
      const next = this.tokenAnswers.shift();
      return next ? next(req) : { status: 500, json: { error: 'unexpected_call' } };
    });
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'providers-'));
    return this;
  }

  /** The env that enables the provider in an app. */
  get env(): Record<string, string> {
    const file = path.join(this.dir!, 'providers.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        {
          name: this.name,
          authorizeUrl: `${this.fake.url}/authorize`,
          tokenUrl: `${this.fake.url}/token`,
          clientAuth: 'client_secret_post',
          pkce: false,
          // The call budget is not what tests with this provider are about.
          refreshRatePerSecond: 1000,
          ...this.entry,
        },
      ]),
    );
    const prefix = this.name.toUpperCase().replace(/-/g, '_');
    return { PROVIDERS_FILE: file, [`${prefix}_CLIENT_ID`]: 'stub-id', [`${prefix}_CLIENT_SECRET`]: 'stub-secret' };
  }

  /** A token response with access and refresh tokens named after `n` (`at-n`, `rt-n`). */
  static tokens(n: string, expiresIn = 3600): FakeResponse {
    return {
      json: { access_token: `at-${n}`, refresh_token: `rt-${n}`, token_type: 'Bearer', expires_in: expiresIn },
    };
  }

  /** The refresh tokens the token requests carried, in order. */
  refreshTokensSent(): unknown[] {
    return this.fake.requestsTo('/token').map((r) => r.body.refresh_token);
  }

  reset(): void {
    this.fake.requests.length = 0;
    this.tokenAnswers.length = 0;
  }

  async stop(): Promise<void> {
    await this.fake.stop();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
