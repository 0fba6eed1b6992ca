/**
 * Lets at most `permits` chunk transactions run statements (BEGIN, dedupe, handlers, flushes) at
 * once, while any number of others decode or wait for their COMMIT. With one permit, handlers
 * never run concurrently, yet one partition's COMMIT (a WAL flush) overlaps the next partition's
 * decode and statements. A transaction that holds row locks either holds a permit or is
 * committing, and a COMMIT waits for no lock: the overlap cannot deadlock.
 */
export class StatementGate {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(permits: number) {
    this.free = Math.max(1, permits);
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the permit straight to the next waiter (FIFO), or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
