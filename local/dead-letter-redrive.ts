import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedriveResult } from '../lambdas/notifications/redrive';
import { type JobRunner, parkedJobOf, redriveJob } from '../lambdas/service/job-redrive';
import type { ItemKey } from '../lambdas/table/layout';
import { JOBS_DEAD_LETTER_FILE } from './retirement-loop';
import { PRIVATE_FILE_MODE } from './state';
import { DEAD_LETTER_FILE } from './stream-poller';

/**
 * The local redrives (`keyward notifications redrive`, `keyward jobs redrive` on the local stack):
 * each line of a dead-letter file is handed to `redriveLine`; the lines it succeeded with leave the
 * file, the others stay, and so do lines the runtime appended meanwhile.
 */
async function redriveLines(file: string, redriveLine: (line: string) => Promise<boolean>): Promise<RedriveResult> {
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
    if (await redriveLine(line)) {
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

function json(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The audit event's key from a dead-letter line (a Lambda-shaped or raw stream record: both carry `Keys`). */
function eventKey(line: string): ItemKey | undefined {
  const keys = (json(line) as { record?: { dynamodb?: { Keys?: Record<string, { S?: string }> } } } | undefined)?.record?.dynamodb?.Keys;
  const pk = keys?.pk?.S;
  const sk = keys?.sk?.S;
  return pk && sk ? { pk, sk } : undefined;
}

/**
 * Each record the stream poller gave up on (`notifier-dead-letter.jsonl`) names its audit event's
 * key; the event is re-read from the table and delivered.
 */
export function redriveDeadLetterFile(stateDir: string, redriveEvent: (key: ItemKey) => Promise<boolean>): Promise<RedriveResult> {
  return redriveLines(join(stateDir, DEAD_LETTER_FILE), async (line) => {
    const key = eventKey(line);
    return key !== undefined && (await redriveEvent(key));
  });
}

/**
 * Each job the timer loop parked (`jobs-dead-letter.jsonl`, Lambda's invocation record) is run
 * again with its original payload; a line that holds no job is reported and stays.
 */
export function redriveJobsFile(stateDir: string, run: JobRunner, warn: (message: string) => void): Promise<RedriveResult> {
  return redriveLines(join(stateDir, JOBS_DEAD_LETTER_FILE), async (line) => {
    const job = parkedJobOf(json(line));
    if (!job) {
      warn(`a line of ${JOBS_DEAD_LETTER_FILE} holds no retirement or reminder job; it stays in the file`);
      return false;
    }
    return redriveJob(job, run, warn);
  });
}
