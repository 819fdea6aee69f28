import { isLiveTerminal } from './terminal.js';
/**
 * Redraws a block of text in place on a TTY (aggregate --watch), or appends it otherwise so logs
 * keep every frame.
 */
export class LiveBlock {
  private lines = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stdout,
    private readonly live = isLiveTerminal(stream),
  ) {}

  /** Rows a frame may take on this terminal (undefined when not live: frames are appended whole). */
  get maxLines(): number | undefined {
    return this.live ? Math.max(5, (this.stream.rows ?? 40) - 1) : undefined;
  }

  draw(text: string): void {
    if (this.live && this.lines > 0) this.stream.write(`\x1b[${this.lines}A\x1b[0J`);
    this.stream.write(`${text}\n`);
    this.lines = text.split('\n').length;
    if (!this.live) this.stream.write('\n');
  }
}
