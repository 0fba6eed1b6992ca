import { AsyncLocalStorage } from 'node:async_hooks';
import { BatchResult, GroupCommit } from './group-commit';

/** A commit function whose batches the test releases by hand, recording what each batch held. */
function manualCommit(fail: (items: readonly number[]) => boolean = () => false) {
  const batches: number[][] = [];
  const open: Array<() => void> = [];
  const commit = (items: readonly number[]): Promise<BatchResult<number>[]> => {
    batches.push([...items]);
    return new Promise((resolve, reject) => {
      open.push(() =>
        fail(items)
          ? reject(new Error(`batch ${items.join(',')} refused`))
          : resolve(items.map((v) => ({ value: v * 10 }))),
      );
    });
  };
  /** Lets every batch started so far, and every batch those lead to, finish. */
  const releaseAll = async () => {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (open.length === 0) return;
      open.splice(0).forEach((release) => release());
    }
  };
  return { batches, commit, releaseAll };
}

const tick = () => new Promise((r) => setImmediate(r));

describe(GroupCommit.name, () => {
  it('starts a lone item at once and gathers the items that arrive while it commits into the next batch', async () => {
    const m = manualCommit();
    const group = new GroupCommit({ maxBatch: 100, maxConcurrent: 1, commit: m.commit });
    const first = group.submit(1);
    await tick();
    expect(m.batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((n) => group.submit(n));
    await tick();
    expect(m.batches).toEqual([[1]]);
    await m.releaseAll();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
    expect(m.batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('caps a batch at maxBatch and runs at most maxConcurrent batches at once', async () => {
    const m = manualCommit();
    const group = new GroupCommit({ maxBatch: 3, maxConcurrent: 2, commit: m.commit });
    const all = Array.from({ length: 8 }, (_, i) => group.submit(i));
    await tick();
    expect(m.batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(group.inFlight).toBe(2);
    await m.releaseAll();
    expect(await Promise.all(all)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    expect(m.batches[2]).toEqual([6, 7]);
  });

  it('after a failed batch commits its items one by one, so only the item that breaks it fails', async () => {
    const m = manualCommit((items) => items.includes(13));
    const group = new GroupCommit({ maxBatch: 10, maxConcurrent: 1, commit: m.commit });
    const results = [11, 12, 13, 14].map((n) =>
      group.submit(n).then(
        (v) => `ok ${v}`,
        (e: Error) => e.message,
      ),
    );
    await m.releaseAll();
    expect(await Promise.all(results)).toEqual(['ok 110', 'ok 120', 'batch 13 refused', 'ok 140']);
    expect(m.batches).toEqual([[11, 12, 13, 14], [11], [12], [13], [14]]);
  });

  it('hands each item its own result: a value, its own error, or another attempt in a later batch (ahead of newer items)', async () => {
    let attempts = 0;
    const seen: number[][] = [];
    const group = new GroupCommit<number, string>({
      maxBatch: 10,
      maxConcurrent: 1,
      maxAgain: 1,
      commit: (items) => {
        seen.push([...items]);
        attempts++;
        return Promise.resolve(
          items.map((n): BatchResult<string> => {
            if (n === 2) return { error: new Error('two is refused') };
            if (n === 3 && attempts === 1) return { again: true };
            if (n === 4) return { again: true };
            return { value: `v${n}` };
          }),
        );
      },
    });
    const results = [1, 2, 3, 4].map((n) =>
      group.submit(n).then(
        (v) => v,
        (e: Error) => e.message,
      ),
    );
    expect(await Promise.all(results)).toEqual(['v1', 'two is refused', 'v3', 'gave up after 1 attempts']);
    expect(seen).toEqual([
      [1, 2, 3, 4],
      [3, 4],
    ]);
  });

  it('runs batches outside the async context of the request that happened to start them', async () => {
    const scope = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const group = new GroupCommit<number, number>({
      maxBatch: 10,
      maxConcurrent: 1,
      commit: async (items) => {
        await Promise.resolve();
        seen.push(scope.getStore());
        return items.map((value) => ({ value }));
      },
    });
    const results = await Promise.all([
      scope.run('request-a', () => group.submit(1)),
      scope.run('request-b', () => group.submit(2)),
      scope.run('request-c', () => group.submit(3)),
    ]);
    expect(results).toEqual([1, 2, 3]);
    expect(seen).toEqual([undefined]);
  });
});
