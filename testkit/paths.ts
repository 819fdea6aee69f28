import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this test kit belongs to. */
export const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The real dataset, kept beside the project (never copied into it); tests that need it skip without it. */
export const SHARED_DATASET = path.resolve(ROOT, '../shared/data/Recommended_Fishing_Rivers_And_Streams.csv');
