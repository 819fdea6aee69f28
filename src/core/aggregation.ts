import type { SnapshotRepository, WindowCounts } from './repositories.js';
import { buildSnapshot, type Snapshot } from './snapshot.js';
import { windowAt } from './window.js';

export interface AggregationDeps {
  events: WindowCounts;
  snapshots: SnapshotRepository;
  windowMinutes: number;
}

/**
 * The aggregation function: counts the window ending at `now` per county, writes the result as one
 * snapshot that replaces the previous one whole, and returns it.
 */
export async function aggregate(now: number, deps: AggregationDeps): Promise<Snapshot> {
  const window = windowAt(now, deps.windowMinutes);
  const counts = await deps.events.countByCounty(window);
  const snapshot = buildSnapshot(counts, window, now);
  await deps.snapshots.putSnapshot(snapshot);
  return snapshot;
}
