/**
 * Progress lines on stderr (stdout stays free for a result printed without --json), each with
 * the scenario's name and the seconds since it started.
 */
export class Progress {
  private readonly t0 = Date.now();

  constructor(private readonly scenario: string) {}

  get elapsedSeconds(): number {
    return (Date.now() - this.t0) / 1000;
  }

  log(message: string): void {
    process.stderr.write(`[bench ${this.scenario} +${this.elapsedSeconds.toFixed(1)}s] ${message}\n`);
  }

  /** Runs `fn`, logging its start and its duration. */
  async step<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.log(`${what} ...`);
    const t = Date.now();
    const result = await fn();
    this.log(`${what} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return result;
  }
}
