import type { SourceItem } from '../src/core/streamer.js';

/** The items of a chunked source, one by one. */
export async function* itemsOf(chunks: AsyncIterable<readonly SourceItem[]>): AsyncGenerator<SourceItem> {
  for await (const chunk of chunks) yield* chunk;
}

/** A chunked source of the given items, `perChunk` to a chunk. */
export async function* chunksOf(
  items: AsyncIterable<SourceItem> | Iterable<SourceItem>,
  perChunk = 1,
): AsyncGenerator<SourceItem[]> {
  let chunk: SourceItem[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= perChunk) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
