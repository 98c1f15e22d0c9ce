import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedriveResult } from '../lambdas/notifications/redrive';
import type { ItemKey } from '../lambdas/table/layout';
import { PRIVATE_FILE_MODE } from './state';
import { DEAD_LETTER_FILE } from './stream-poller';

/** The audit event's key from a dead-letter line (a Lambda-shaped or raw stream record: both carry `Keys`). */
function eventKey(line: string): ItemKey | undefined {
  try {
    const keys = (JSON.parse(line) as { record?: { dynamodb?: { Keys?: Record<string, { S?: string }> } } }).record?.dynamodb?.Keys;
    const pk = keys?.pk?.S;
    const sk = keys?.sk?.S;
    return pk && sk ? { pk, sk } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The local redrive: each record the stream poller gave up on (`notifier-dead-letter.jsonl`)
 * names its audit event's key; the event is re-read from the table and delivered. The lines of
 * delivered events leave the file; the others stay, and so do lines the poller appended meanwhile.
 */
export async function redriveDeadLetterFile(stateDir: string, redriveEvent: (key: ItemKey) => Promise<boolean>): Promise<RedriveResult> {
  const file = join(stateDir, DEAD_LETTER_FILE);
  const read = async (): Promise<string[]> => {
    try {
      return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  const lines = await read();
  const result: RedriveResult = { redriven: 0, failed: 0 };
  const kept: string[] = [];
  for (const line of lines) {
    const key = eventKey(line);
    if (key && (await redriveEvent(key))) {
      result.redriven += 1;
    } else {
      result.failed += 1;
      kept.push(line);
    }
  }
  if (result.redriven > 0) {
    const appended = (await read()).slice(lines.length);
    const temp = `${file}.tmp`;
    const rest = [...kept, ...appended];
    await writeFile(temp, rest.length > 0 ? `${rest.join('\n')}\n` : '', { mode: PRIVATE_FILE_MODE });
    await rename(temp, file);
  }
  return result;
}
