/**
 * Runs `fn` over `items`, at most `limit` at a time; the results are in the items' order. After the
 * first failure no further item starts; once the running ones have finished, the promise rejects
 * with that failure. So a failed aggregation leaves nothing reading or writing behind it, and what it
 * finished (the counts it cached) is all written when it fails.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
