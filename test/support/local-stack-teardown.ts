import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { E2eProcess } from './local-stack-setup';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Stops the e2e stack the way a user does (SIGTERM), and fails the run if that left any of its
 * listeners behind (DynamoDB Local's Java process above all).
 */
export default async function teardown(): Promise<void> {
  const stack = (globalThis as { __keywardE2e__?: E2eProcess }).__keywardE2e__;
  if (!stack) return;
  const { child, stateDir, ports } = stack;
  let killed = false;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(stateDir, { recursive: true, force: true });
  if (killed) throw new Error('the local stack did not stop within 15 s of SIGTERM');
  const left = [];
  for (const port of ports) if (await listening(port)) left.push(port);
  if (left.length > 0) throw new Error(`ports ${left.join(', ')} still listen after the local stack stopped`);
}
