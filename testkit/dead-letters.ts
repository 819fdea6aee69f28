import path from 'node:path';
import Database from 'better-sqlite3';
import { eventBody } from '../src/core/event.js';
import { uuidv7 } from '../src/core/id.js';

/** A good event's body, as `stream` sends it. */
export function goodBody(county: string, time = Date.now()): string {
  return eventBody({ id: uuidv7(time), time, county, dataJson: JSON.stringify({ County: county }) });
}

/** Puts dead letters straight into a local stack's database, as the queue leaves them after MaxReceiveCount. */
export function addDeadLetters(
  dataDir: string,
  letters: { body: string; error?: string; receiveCount?: number }[],
  stack = 'sensorpipe',
): void {
  const db = new Database(path.join(dataDir, `${stack}.sqlite`));
  try {
    const insert = db.prepare(
      'INSERT INTO dead_letters (id, body, sent_at, dead_at, receive_count, last_error) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    letters.forEach((letter, i) => {
      insert.run(
        1000 + i,
        letter.body,
        now - 60_000 + i,
        now,
        letter.receiveCount ?? 5,
        letter.error ?? null,
      );
    });
  } finally {
    db.close();
  }
}

/** Puts message bodies straight into a local stack's queue, as a stream that stopped before they were stored leaves them. */
export function enqueueRaw(dataDir: string, bodies: string[], stack = 'sensorpipe'): void {
  const db = new Database(path.join(dataDir, `${stack}.sqlite`));
  try {
    const insert = db.prepare('INSERT INTO queue (body, sent_at) VALUES (?, ?)');
    db.transaction(() => {
      for (const body of bodies) insert.run(body, Date.now());
    })();
  } finally {
    db.close();
  }
}

/** Puts lines straight into a local stack's function logs, as the runtime keeps them. */
export function addLogLines(
  dataDir: string,
  lines: { function: 'storing' | 'aggregation'; message: string; at?: number; level?: string }[],
  stack = 'sensorpipe',
): void {
  const db = new Database(path.join(dataDir, `${stack}.sqlite`));
  try {
    const insert = db.prepare('INSERT INTO function_logs (at, function, level, message) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const line of lines)
        insert.run(line.at ?? Date.now(), line.function, line.level ?? 'INFO', line.message);
    })();
  } finally {
    db.close();
  }
}
