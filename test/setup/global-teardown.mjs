import * as fs from 'node:fs';

export default async function globalTeardown() {
  const pg = globalThis.__TEST_PG__;
  if (!pg) return;
  await pg.stop();
  fs.rmSync(pg.dataDir, { recursive: true, force: true });
}
