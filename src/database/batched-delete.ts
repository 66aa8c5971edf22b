/** What TypeORM's `query` answers to a DELETE: [rows, affected]. */
type Query = (sql: string, params: unknown[]) => Promise<[unknown, number]>;

/**
 * Deletes the rows of `table` that match `where` (trusted SQL over `params`, $1…) in batches of `batch`,
 * so a purge that meets a large table (the first after an upgrade) stays under the statement timeout.
 * Returns how many rows went.
 */
export async function deleteInBatches(
  query: Query,
  table: string,
  where: string,
  params: unknown[],
  batch = 5000,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [, affected] = await query(
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} LIMIT $${params.length + 1})`,
      [...params, batch],
    );
    deleted += affected;
    if (affected < batch) return deleted;
  }
}
