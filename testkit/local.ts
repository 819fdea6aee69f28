import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expiryOf, type OutgoingEvent, type SensorEvent, type StoredEvent } from '../src/core/event.js';
import { uuidv7 } from '../src/core/id.js';
import { DEFAULT_PARAMETERS, resolveParameters, type StackParameters } from '../src/core/parameters.js';
import { type Db, databasePath, openOrCreate, WriteTransactions } from '../src/targets/local/database.js';
import { type LocalAudit, LocalTarget } from '../src/targets/local/local-target.js';
import { LocalQueue } from '../src/targets/local/queue.js';
import { SqliteEventRepository, SqliteSnapshotRepository } from '../src/targets/local/repositories.js';

export { type FakeClock, fakeClock, T0 } from './clock.js';

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sp-test-'));
}

export function removeTempDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

export function makeEvent(time: number, county: string, data: Record<string, string> = {}): SensorEvent {
  return { id: uuidv7(time), time, county, data: { County: county, ...data } };
}

/** The event as a producer hands it to a sender. */
export function outgoing({ data, ...event }: SensorEvent): OutgoingEvent {
  return { ...event, dataJson: JSON.stringify(data) };
}

export function stored(event: SensorEvent, ttlMinutes = 60): StoredEvent {
  return { ...event, expiresAt: expiryOf(event.time, ttlMinutes) };
}

export function params(changes: Partial<StackParameters> = {}): StackParameters {
  return resolveParameters(DEFAULT_PARAMETERS, changes);
}

export interface LocalStack {
  path: string;
  db: Db;
  queue: LocalQueue;
  events: SqliteEventRepository;
  snapshots: SqliteSnapshotRepository;
  /** Runs synchronous storage calls in one IMMEDIATE transaction, as the runtime runs them. */
  tx<T>(work: () => T): T;
  /** Runs storage calls that await (putEvents, putSnapshot) in a write transaction. */
  write<T>(work: () => T | Promise<T>): Promise<T>;
}

/** A stack database with the full schema and the local repositories on one connection. */
export function openStack(dir: string, stackName = 'test-stack'): LocalStack {
  const file = databasePath(dir, stackName);
  const { db } = openOrCreate(file, stackName);
  return connectTo(file, db);
}

export function connectTo(file: string, db: Db): LocalStack {
  const transactions = new WriteTransactions(db);
  return {
    path: file,
    db,
    queue: new LocalQueue(db),
    events: new SqliteEventRepository(db),
    snapshots: new SqliteSnapshotRepository(db),
    tx: (work) => db.transaction(work).immediate(),
    write: (work) => transactions.run(work),
  };
}

/** A local stack's audit (events stored and counted, queued, dead letters, integrity), read through its target. */
export async function auditLocalStack(dataDir: string, stackName: string): Promise<LocalAudit> {
  const target = new LocalTarget({ dataDir, stackName });
  try {
    return await target.audit();
  } finally {
    await target.close();
  }
}
