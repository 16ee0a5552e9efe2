import { Batcher } from './Batcher';

describe('Batcher', () => {
  function recordingBatcher(options: { key?: (item: string) => string; maxBatchSize?: number } = {}) {
    const batches: string[][] = [];
    let release: () => void = () => {};
    let hold = false;
    const batcher = new Batcher<string, string>({
      run: async items => {
        batches.push(items);
        if (hold) {
          await new Promise<void>(resolve => {
            release = resolve;
          });
        }
        return items.map(item =>
          item.startsWith('bad')
            ? { status: 'rejected' as const, reason: new Error(`${item} refused`) }
            : { status: 'fulfilled' as const, value: item.toUpperCase() },
        );
      },
      key: options.key,
      maxBatchSize: options.maxBatchSize ?? 100,
    });
    return { batcher, batches, holdBatches: () => (hold = true), release: () => release() };
  }

  /** A batcher running two batches at once, each until the test releases it. */
  function twoAtATime(key?: (item: string) => string) {
    const batches: string[][] = [];
    const releases: Array<() => void> = [];
    const batcher = new Batcher<string, string>({
      run: async items => {
        batches.push(items);
        await new Promise<void>(resolve => releases.push(resolve));
        return items.map(item => ({ status: 'fulfilled' as const, value: item }));
      },
      key,
      maxBatchSize: 10,
      maxConcurrentBatches: 2,
    });
    return { batcher, batches, releases };
  }

  const turn = () => new Promise(resolve => setImmediate(resolve));

  it('runs the requests of one turn as one batch and answers each its own result', async () => {
    const { batcher, batches } = recordingBatcher();
    const results = await Promise.all(['a', 'b', 'c'].map(item => batcher.add(item)));
    expect(results).toEqual(['A', 'B', 'C']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('fails only the request whose item failed', async () => {
    const { batcher } = recordingBatcher();
    const results = await Promise.allSettled(['a', 'bad-1', 'c'].map(item => batcher.add(item)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 'A' },
      { status: 'rejected', reason: new Error('bad-1 refused') },
      { status: 'fulfilled', value: 'C' },
    ]);
  });

  it('runs one batch at a time and gathers what arrives meanwhile into the next', async () => {
    const { batcher, batches, holdBatches, release } = recordingBatcher();
    holdBatches();
    const first = batcher.add('a');
    await new Promise(resolve => setImmediate(resolve));
    expect(batches).toEqual([['a']]);
    const later = [batcher.add('b'), batcher.add('c')];
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(batches).toEqual([['a']]);
    release();
    await first;
    await new Promise(resolve => setImmediate(resolve));
    expect(batches).toEqual([['a'], ['b', 'c']]);
    release();
    expect(await Promise.all(later)).toEqual(['B', 'C']);
  });

  it('runs up to maxConcurrentBatches batches at once', async () => {
    const { batcher, batches, releases } = twoAtATime();
    const results = [batcher.add('a')];
    await turn();
    results.push(batcher.add('b'));
    await turn();
    results.push(batcher.add('c'), batcher.add('d'));
    await turn();
    expect(batches).toEqual([['a'], ['b']]);
    releases.shift()!();
    await results[0];
    await turn();
    expect(batches).toEqual([['a'], ['b'], ['c', 'd']]);
    releases.forEach(release => release());
    await turn();
    releases.forEach(release => release());
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps a key out of a batch running alongside the one that holds it', async () => {
    const { batcher, batches, releases } = twoAtATime(item => item.split(':')[0]);
    const results = [batcher.add('run-1:a')];
    await turn();
    results.push(batcher.add('run-1:b'), batcher.add('run-2:a'));
    await turn();
    // the second slot takes run-2 only; run-1 waits for the batch that holds it
    expect(batches).toEqual([['run-1:a'], ['run-2:a']]);
    releases.shift()!();
    await turn();
    await turn();
    expect(batches).toEqual([['run-1:a'], ['run-2:a'], ['run-1:b']]);
    releases.forEach(release => release());
    await turn();
    releases.forEach(release => release());
    expect(await Promise.all(results)).toEqual(['run-1:a', 'run-1:b', 'run-2:a']);
  });

  it('never puts two requests with the same key in one batch', async () => {
    const { batcher, batches } = recordingBatcher({ key: item => item.split(':')[0] });
    await Promise.all(['run-1:a', 'run-2:a', 'run-1:b', 'run-1:c'].map(item => batcher.add(item)));
    expect(batches).toEqual([['run-1:a', 'run-2:a'], ['run-1:b'], ['run-1:c']]);
  });

  it('splits a long queue into batches of the largest size', async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(item => batcher.add(item)));
    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('fails the whole batch when running it throws', async () => {
    const batcher = new Batcher<string, string>({
      run: async () => {
        throw new Error('connection lost');
      },
      maxBatchSize: 10,
    });
    const results = await Promise.allSettled([batcher.add('a'), batcher.add('b')]);
    expect(results.map(result => result.status)).toEqual(['rejected', 'rejected']);
    // and the next request is served again
    await expect(batcher.add('c')).rejects.toThrow('connection lost');
  });

  it('refuses at once, with ServiceUnavailableError, what would pass its bound; the rest go on', async () => {
    const releases: Array<() => void> = [];
    const shed = jest.fn();
    const batcher = new Batcher<string, string>({
      run: async items => {
        await new Promise<void>(resolve => releases.push(resolve));
        return items.map(item => ({ status: 'fulfilled' as const, value: item }));
      },
      maxBatchSize: 10,
      maxQueued: 2,
      onShed: shed,
    });
    const first = batcher.add('a');
    await new Promise(resolve => setImmediate(resolve));
    // 'a' runs; two may wait; the third is refused at once, and so is a fourth.
    const waiting = [batcher.add('b'), batcher.add('c')];
    await expect(batcher.add('d')).rejects.toMatchObject({ name: 'ServiceUnavailableError' });
    // Work that must not be refused (an outcome after a webhook was sent) still queues.
    const essential = batcher.add('e', { mayShed: false });
    expect(shed).toHaveBeenCalledTimes(1);
    expect(batcher.queued).toBe(3);
    releases.shift()!();
    await expect(first).resolves.toBe('a');
    await new Promise(resolve => setImmediate(resolve));
    releases.shift()!();
    await expect(Promise.all([...waiting, essential])).resolves.toEqual(['b', 'c', 'e']);
    // Drained, it accepts again.
    const later = batcher.add('f');
    await new Promise(resolve => setImmediate(resolve));
    releases.shift()!();
    await expect(later).resolves.toBe('f');
  });
});
