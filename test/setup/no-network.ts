import nock from 'nock';

// Outbound HTTP that no test expects fails the test: only loopback is reachable.
nock.disableNetConnect();
nock.enableNetConnect((host) => /^(127\.0\.0\.1|localhost|\[::1\]|::1)(:\d+)?$/.test(host));

// node:http is shared by every test file of a worker while nock is loaded anew per file: unpatch it
// after each file so the interceptors do not stack.
afterAll(() => {
  nock.restore();
});
