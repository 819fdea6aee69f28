import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set<string>();

/** A new directory under os.tmpdir(), removed by removeTemp or, at the latest, by removeAllTemp. */
export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sensorpipe-bench-${label}-`));
  created.add(dir);
  return dir;
}

export function removeTemp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

export function removeAllTemp(): void {
  for (const dir of [...created]) removeTemp(dir);
}
