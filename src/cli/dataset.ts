// Command-side glue: resolving the dataset is the source's job; showing the download is the CLI's.
import { printable } from '../render/printable.js';
import { resolveDataset } from '../source/dataset.js';

/** Finds the CSV to stream, downloading the dataset once (with progress on stderr) when needed. */
export async function resolveDatasetWithProgress(file: string | undefined, quiet: boolean): Promise<string> {
  if (file !== undefined) return file;
  let lastShown = 0;
  const result = await resolveDataset({
    onProgress: ({ receivedBytes, totalBytes }) => {
      if (quiet || Date.now() - lastShown < 500) return;
      lastShown = Date.now();
      const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
      const of = totalBytes ? ` of ${mb(totalBytes)} MB` : ' MB';
      process.stderr.write(`Downloading the dataset: ${mb(receivedBytes)}${of}\n`);
    },
  });
  if (result.source === 'download' && !quiet)
    process.stderr.write(`Dataset cached at ${printable(result.path)}\n`);
  return result.path;
}
