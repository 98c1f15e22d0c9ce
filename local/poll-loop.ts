/**
 * A background loop of the local runtime (the stream poller, the retirement timer loop): runs
 * `pass` at once and then `intervalMs` after each pass ends, never two passes at a time. A failed
 * pass is reported and the loop goes on. `stop()` waits for the pass in flight; passes can check
 * `isStopped()` to end early.
 */
export interface PollLoop {
  isStopped(): boolean;
  stop(): Promise<void>;
}

export function startPollLoop(options: {
  intervalMs: number;
  pass: (loop: PollLoop) => Promise<void>;
  onError: (error: unknown) => void;
}): PollLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop: PollLoop = {
    isStopped: () => stopped,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
  const tick = (): void => {
    // Inside a promise chain, so that even a pass that throws synchronously is reported, not a
    // timer callback's uncaught exception.
    running = Promise.resolve()
      .then(() => options.pass(loop))
      .catch(options.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  tick();
  return loop;
}
