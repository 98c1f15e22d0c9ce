import { StopStack } from '../../../local/stop-stack';

describe('StopStack', () => {
  it('stops what was pushed in reverse order, and each part once however often it is asked', async () => {
    const stopped: string[] = [];
    const stops = new StopStack(() => undefined);
    for (const name of ['DynamoDB Local', 'SES emulator', 'gateway']) stops.push(name, { stop: async () => void stopped.push(name) });

    await Promise.all([stops.stopAll(), stops.stopAll()]);
    await stops.stopAll();

    expect(stopped).toEqual(['gateway', 'SES emulator', 'DynamoDB Local']);
  });

  it('reports a part that fails to stop and still stops the parts before it', async () => {
    const stopped: string[] = [];
    const lines: string[] = [];
    const stops = new StopStack((line) => lines.push(line));
    stops.push('DynamoDB Local', { stop: () => void stopped.push('DynamoDB Local') });
    stops.push('gateway', {
      stop: async () => {
        throw new Error('port still in use');
      },
    });

    await expect(stops.stopAll()).resolves.toBeUndefined();

    expect(stopped).toEqual(['DynamoDB Local']);
    expect(lines).toEqual(['could not stop gateway: port still in use']);
  });

  it('hands back the handle it was given', () => {
    const handle = { stop: () => undefined, url: 'http://127.0.0.1:3000' };
    expect(new StopStack(() => undefined).push('gateway', handle)).toBe(handle);
  });
});
