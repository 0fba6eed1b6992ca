/** A one-line progress bar on stderr (a terminal redraws it; a log file gets one line per tick). */
export class ProgressBar {
  private startedAt = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly total: number,
    private readonly done: () => number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  start(intervalMs = 500): void {
    this.timer = setInterval(() => this.render(), intervalMs);
    this.timer.unref();
  }

  /** The rate counts from now on (the rebuild: once its partitions are assigned). */
  restartClock(): void {
    this.startedAt = Date.now();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.render();
    this.out.write('\n');
  }

  private render(): void {
    const done = Math.min(this.done(), this.total);
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const ratio = this.total ? done / this.total : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line = `rebuild [${bar}] ${(ratio * 100).toFixed(1)}% ${done}/${this.total} events  ${rate} events/s`;
    this.out.write(this.out.isTTY ? `\r${line}` : `${line}\n`);
  }
}
