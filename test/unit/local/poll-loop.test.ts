import { startPollLoop } from '../../../local/poll-loop';

describe('a background loop of the local runtime', () => {
  it('reports a pass that throws, even synchronously, and goes on with the next pass', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const loop = startPollLoop({
      intervalMs: 5,
      // Not async: a plain function that throws before returning a promise.
      pass: (() => {
        passes += 1;
        if (passes === 1) throw new Error('bad pass');
        return Promise.resolve();
      }) as () => Promise<void>,
      onError: (error) => errors.push(error),
    });
    const deadline = Date.now() + 2000;
    while (passes < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await loop.stop();

    expect(errors).toEqual([new Error('bad pass')]);
    expect(passes).toBeGreaterThanOrEqual(3);
  });
});
