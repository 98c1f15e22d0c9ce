import { rmSync } from 'node:fs';
import { once } from 'node:events';
import type { E2eProcess } from './local-stack-setup';

/** Stops the e2e stack the way a user does (SIGTERM: clean shutdown, DynamoDB Local included). */
export default async function teardown(): Promise<void> {
  const stack = (globalThis as { __keywardE2e__?: E2eProcess }).__keywardE2e__;
  if (!stack) return;
  const { child, stateDir } = stack;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(stateDir, { recursive: true, force: true });
}
