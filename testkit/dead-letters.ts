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
