import nock from 'nock';

// Outbound HTTP that no test expects fails the test: only loopback is reachable.
nock.disableNetConnect();
nock.enableNetConnect((host) => /^(127\.0\.0\.1|localhost|\[::1\]|::1)(:\d+)?$/.test(host));
