/** Something running that can be stopped: a server, a child process, a loop. */
export interface Stoppable {
  stop(): Promise<void> | void;
}

/**
 * What stops the parts of the local stack, in the reverse of the order they started: each part
 * that has started pushes its stop handle, so a start that fails half-way stops exactly what is
 * running, and nothing has to ask whether a part was ever started. A part that fails to stop is
 * reported and the others still stop.
 */
export class StopStack {
  private readonly handles: Array<{ name: string; handle: Stoppable }> = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  /** Registers a started part's stop handle; returns the handle, so a start reads as one line. */
  push<T extends Stoppable>(name: string, handle: T): T {
    this.handles.push({ name, handle });
    return handle;
  }

  /** Stops everything pushed, last first. Calling it again waits for the same stop. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (let entry = this.handles.pop(); entry !== undefined; entry = this.handles.pop()) {
        try {
          await entry.handle.stop();
        } catch (error) {
          this.log(`could not stop ${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.stopping;
  }
}
