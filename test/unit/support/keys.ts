import { randomBytes } from 'node:crypto';

// The same shapes as test/support/app.ts's keys, without loading the app (and its whole module graph)
// into the unit tests.
export const TEST_API_KEY = `test_${randomBytes(16).toString('hex')}`;
export const TEST_KEY_A = `ka:${randomBytes(32).toString('base64')}`;
