import { appendFile, readFile } from 'node:fs/promises';
import { EVENT_SOURCE, type EventBus, type LifecycleEvent } from '../domain/event-bus';

/** One line of `.keyward/events.jsonl`: EventBridge's envelope, with the audit event's id as its own. */
export interface EventEnvelope {
  id: string;
  source: typeof EVENT_SOURCE;
  'detail-type': string;
  time: string;
  detail: LifecycleEvent['detail'];
}

/**
 * The EventBus port of the local runtime: each event appended as one line to a JSON Lines file
 * (API.md §8), exactly once per event id. The file is its own ledger: the ids already in it are
 * read when the bus is first used, so a record the stream poller delivers again after a restart
 * (it checkpoints after the handler returns) is not written twice. One writer per file.
 */
export class JsonlEventBus implements EventBus {
  private state: { ids: Set<string>; endsWithNewline: boolean } | undefined;

  constructor(private readonly path: string) {}

  async publish(events: readonly LifecycleEvent[]): Promise<{ failed: { id: string; reason: string }[] }> {
    this.state ??= await this.load();
    const state = this.state;
    const fresh = events.filter((event, index) => !state.ids.has(event.id) && events.findIndex((e) => e.id === event.id) === index);
    if (fresh.length === 0) return { failed: [] };
    const lines = fresh.map((event) => JSON.stringify(envelope(event))).join('\n');
    // A line cut short by a crash is finished with a newline first, so the next line stays whole.
    // Owner-only (API.md §6), whatever the umask of whoever appends first.
    await appendFile(this.path, `${state.endsWithNewline ? '' : '\n'}${lines}\n`, { mode: 0o600 });
    state.endsWithNewline = true;
    for (const event of fresh) state.ids.add(event.id);
    return { failed: [] };
  }

  private async load(): Promise<{ ids: Set<string>; endsWithNewline: boolean }> {
    let content = '';
    try {
      content = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const ids = new Set<string>();
    for (const line of content.split('\n')) {
      try {
        const id = (JSON.parse(line) as Partial<EventEnvelope>).id;
        if (typeof id === 'string') ids.add(id);
      } catch {
        // An empty line, or one cut short by a crash: its event is not in the file, so it is written again.
      }
    }
    return { ids, endsWithNewline: content === '' || content.endsWith('\n') };
  }
}

export function envelope(event: LifecycleEvent): EventEnvelope {
  return { id: event.id, source: EVENT_SOURCE, 'detail-type': event.detailType, time: event.time, detail: event.detail };
}
