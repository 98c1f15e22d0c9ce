import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlEventBus } from '../../../lambdas/adapters/jsonl-event-bus';
import type { LifecycleEvent } from '../../../lambdas/domain/event-bus';

function event(id: string): LifecycleEvent {
  const detail = {
    id,
    type: 'api_key.created',
    occurred_at: '2036-11-26T04:00:00.000Z',
    organization_id: 'acme',
    actor: { type: 'user', email: 'a@acme.test' },
    api_key_id: 'key-1',
    details: { name: null, masked_value: 'kw_••••••••9fQz' },
  };
  return { id, detailType: detail.type, time: detail.occurred_at, detail };
}

describe('the JSON Lines event bus of the local runtime', () => {
  let dir: string;
  let file: string;
  const lines = () =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-events-'));
    file = join(dir, 'events.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("appends one line per event in EventBridge's envelope", async () => {
    expect(await new JsonlEventBus(file).publish([event('e1'), event('e2')])).toEqual({ failed: [] });
    expect(lines()).toEqual([
      { id: 'e1', source: 'keyward', 'detail-type': 'api_key.created', time: '2036-11-26T04:00:00.000Z', detail: event('e1').detail },
      { id: 'e2', source: 'keyward', 'detail-type': 'api_key.created', time: '2036-11-26T04:00:00.000Z', detail: event('e2').detail },
    ]);
  });

  it('writes each event once, within a call, across calls and across restarts (a new bus on the same file)', async () => {
    const bus = new JsonlEventBus(file);
    await bus.publish([event('e1'), event('e1')]);
    await bus.publish([event('e1'), event('e2')]);
    await new JsonlEventBus(file).publish([event('e2'), event('e3')]);
    expect(lines().map((line) => line.id)).toEqual(['e1', 'e2', 'e3']);
  });

  it('finishes a line a crash cut short before appending, and writes that event again', async () => {
    await new JsonlEventBus(file).publish([event('e1')]);
    appendFileSync(file, '{"id":"e2","source":"keyw');
    await new JsonlEventBus(file).publish([event('e2')]);
    const raw = readFileSync(file, 'utf8').split('\n');
    expect(raw.filter((line) => line.startsWith('{"id":"e2"') && line.endsWith('}'))).toHaveLength(1);
    expect(raw.at(-1)).toBe('');
  });
});
