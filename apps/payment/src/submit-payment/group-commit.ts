import { AsyncResource } from 'node:async_hooks';

/** What one item of a committed batch came to: a value, its own error, or "queue me again". */
export type BatchResult<O> = { value: O } | { error: unknown } | { again: true };

export interface GroupCommitOptions<I, O> {
  /** Most items in one batch (one transaction). */
  maxBatch: number;
  /** Most batches committing at once (each holds one database connection). */
  maxConcurrent: number;
  /** How often one item may come back `again` before it fails (a key that keeps changing under it). */
  maxAgain?: number;
  /**
   * Commits the items as one unit and gives one result per item, in order. Throwing fails the
   * batch as a whole: its items are then committed one by one, so one bad item fails alone.
   */
  commit: (items: readonly I[]) => Promise<BatchResult<O>[]>;
}

interface Waiting<I, O> {
  item: I;
  again: number;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: items submitted while a batch is committing gather in a queue and go together in
 * the next batch, so at load one transaction (one commit, one WAL flush, a handful of round trips)
 * serves many requests, and at low load an item starts at once, alone. No timer waits for company:
 * a batch starts as soon as a slot is free, after the current turn of the event loop (setImmediate),
 * which collects the requests whose bodies arrived in the same read.
 */
export class GroupCommit<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(private readonly options: GroupCommitOptions<I, O>) {}

  /** Resolves once the item's batch has committed (or rejects with the item's own failure). */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, again: 0, resolve, reject });
      this.schedule();
    });
  }

  /** Batches committing now (for tests and metrics). */
  get inFlight(): number {
    return this.running;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  /**
   * Bound to the context the queue was created in: a batch serves many requests, so it must not
   * run in the async context (correlation id) of whichever request happened to start it.
   */
  private readonly drain = AsyncResource.bind((): void => {
    while (this.running < this.options.maxConcurrent && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.drain();
      });
    }
  });

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    let results: BatchResult<O>[];
    try {
      results = await this.options.commit(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`commit gave ${results.length} results for ${batch.length}`);
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err);
        return;
      }
      // Nothing of the batch committed (one transaction). Which item broke it is unknown, so each
      // goes alone; a failure that is everybody's (the database away) fails each of them.
      for (const w of batch) await this.run([w]);
      return;
    }
    const again: Waiting<I, O>[] = [];
    results.forEach((result, i) => {
      const w = batch[i];
      if ('value' in result) w.resolve(result.value);
      else if ('error' in result) w.reject(result.error);
      else if (w.again < (this.options.maxAgain ?? 3)) again.push({ ...w, again: w.again + 1 });
      else w.reject(new Error(`gave up after ${w.again} attempts`));
    });
    if (again.length) {
      // Ahead of newer items: they were submitted first.
      this.queue.unshift(...again);
      this.schedule();
    }
  }
}
