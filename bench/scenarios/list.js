'use strict';
// Scenario 2: keyset pagination over a large table: page 1 vs page 5,000, and the plan of every filter combination.
const { bulkLoad } = require('../lib/seed');
const { httpGet, round, summarize } = require('../lib/util');

const LIMIT = 100;

/** The API's cursor (src/common/keyset.ts): base64url(JSON.stringify([createdAtISO, id])) of the last row of the previous page. */
const cursorOf = (row) =>
  Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id]), 'utf8').toString('base64url');

async function lastRowOfPage(db, page) {
  const { rows } = await db.query(
    `SELECT created_at, id FROM connections WHERE provider = 'keap' ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
    [page * LIMIT - 1],
  );
  if (!rows[0]) throw new Error(`provider=keap has fewer than ${page * LIMIT} rows`);
  return rows[0];
}

/** The statement ConnectionsRepository.findPage builds (TypeORM: every column, filters, keyset, LIMIT limit+1). */
function pageQuery(filter, after) {
  const where = [];
  const params = [];
  if (filter.provider !== undefined) where.push(`c.provider = $${params.push(filter.provider)}`);
  if (filter.ownerId !== undefined) where.push(`c.owner_id = $${params.push(filter.ownerId)}`);
  if (filter.status !== undefined) where.push(`c.status = $${params.push(filter.status)}`);
  where.push(`(c.created_at, c.id) < ($${params.push(after.createdAt)}, $${params.push(after.id)})`);
  return {
    text: `SELECT c.* FROM connections c WHERE ${where.join(' AND ')} ORDER BY c.created_at DESC, c.id DESC LIMIT ${LIMIT + 1}`,
    params,
  };
}

function describePlan(lines) {
  const text = lines.join('\n');
  const scans = [
    ...text.matchAll(
      /((?:Parallel )?(?:Bitmap Heap Scan|Bitmap Index Scan|Index Only Scan(?: Backward)?|Index Scan(?: Backward)?|Seq Scan))(?: using (\S+))? on (\S+)/g,
    ),
  ].map((m) => (m[2] ? `${m[1]} using ${m[2]}` : `${m[1]} on ${m[3]}`));
  const rowsRemoved = [...text.matchAll(/Rows Removed by Filter: (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    summary: lines[0].trim(),
    scans,
    indexScan: scans.some((s) => /^Index (Only )?Scan/.test(s)),
    bitmapIndexScan: scans.some((s) => /^Bitmap Index Scan/.test(s)),
    seqScan: scans.some((s) => /Seq Scan/.test(s)),
    sort: /\bSort\b/.test(text),
    rowsRemovedByFilter: rowsRemoved,
    executionMs: Number((/Execution Time: ([\d.]+) ms/.exec(text) || [])[1]),
    plan: lines,
  };
}

async function run({ db, cipher, service, apiKey, rows, deepPage = 5000, samples, log }) {
  const result = { rows, limit: LIMIT, deepPage };
  log(`  bulk-loading ${rows.toLocaleString('en')} connections (INSERT … SELECT generate_series)`);
  let started = Date.now();
  await bulkLoad(db, cipher, rows);
  result.loadMs = Date.now() - started;
  started = Date.now();
  await db.query('VACUUM (ANALYZE) connections');
  result.vacuumAnalyzeMs = Date.now() - started;
  const { rows: counts } = await db.query(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE provider = 'keap')::int AS keap FROM connections`,
  );
  result.tableRows = counts[0].total;
  result.keapRows = counts[0].keap;
  log(
    `  loaded in ${(result.loadMs / 1000).toFixed(1)} s, VACUUM ANALYZE ${(result.vacuumAnalyzeMs / 1000).toFixed(1)} s; ${result.tableRows} rows, ${result.keapRows} keap`,
  );

  const headers = { authorization: `Bearer ${apiKey}` };
  const base = `${service.baseUrl}/connections?provider=keap&limit=${LIMIT}`;
  // The deep page's cursor, built as the API builds it from the last row of the page before it.
  const row4999 = await lastRowOfPage(db, deepPage - 1);
  const cursor5000 = cursorOf(row4999);
  // Cross-check the hand-built cursor against the service's own: the page before (from its predecessor's cursor) must point at it.
  const page4999 = await httpGet(`${base}&cursor=${cursorOf(await lastRowOfPage(db, deepPage - 2))}`, headers);
  if (page4999.status !== 200 || JSON.parse(page4999.body).nextCursor !== cursor5000)
    throw new Error(`the page-${deepPage} cursor does not match the one the service returns on page ${deepPage - 1}`);
  result.cursorCheckedAgainstService = true;

  const urls = { page1: base, page5000: `${base}&cursor=${cursor5000}` };
  const times = { page1: [], page5000: [] };
  for (let i = 0; i < samples.warmup + samples.measured; i++) {
    // Interleaved, so drift (autovacuum, checkpoints) hits both alike.
    for (const page of ['page1', 'page5000']) {
      const res = await httpGet(urls[page], headers);
      const body = JSON.parse(res.body);
      if (res.status !== 200 || body.data.length !== LIMIT || !body.nextCursor)
        throw new Error(`${page} answered ${res.status} with ${body.data?.length} rows`);
      if (i >= samples.warmup) times[page].push(res.ms);
    }
  }
  result.page1 = summarize(times.page1);
  result.page5000 = summarize(times.page5000);
  result.page1Ms = result.page1.median;
  result.page5000Ms = result.page5000.median;
  result.ratio = round(result.page5000Ms / result.page1Ms, 2);

  // The plans, at the page-5,000 keyset position, for every filter combination. An owner in the middle of the spread, the rarer status.
  const owner = 'owner_25000';
  const status = 'needs_reauth';
  const after = { createdAt: row4999.created_at.toISOString(), id: row4999.id };
  const combos = [
    ['none', {}],
    ['provider', { provider: 'keap' }],
    ['ownerId', { ownerId: owner }],
    ['status', { status }],
    ['provider+ownerId', { provider: 'keap', ownerId: owner }],
    ['provider+status', { provider: 'keap', status }],
    ['provider+ownerId+status', { provider: 'keap', ownerId: owner, status }],
    // The worst case for single-column-prefix indexes: two rare values together (5 % x 1 % of the rows).
    ['provider+status (rare pair)', { provider: 'clickfunnels-classic', status: 'expired' }],
  ];
  result.explainParams = { provider: 'keap', ownerId: owner, status, after };
  result.explain = [];
  for (const [name, filter] of combos) {
    const q = pageQuery(filter, after);
    await db.query(q.text, q.params); // warm
    const { rows: plan } = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, q.params);
    result.explain.push({ filter: name, query: q.text, ...describePlan(plan.map((r) => r['QUERY PLAN'])) });
  }
  return result;
}

module.exports = { run };
