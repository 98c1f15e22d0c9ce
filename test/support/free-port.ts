import { createServer } from 'node:net';

/**
 * Ports are drawn below Linux's ephemeral range (32768+), where the kernel picks ports for
 * outgoing connections and for `listen(0)` (the SES emulator's inner server, for one): a port
 * found free here cannot be taken by one of those between this check and its real use.
 */
const RANGE = { from: 20_000, to: 32_000 };
const handedOut = new Set<number>();

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port free on 127.0.0.1 a moment ago, never the same twice in one process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from));
    if (handedOut.has(port)) continue;
    if (await tryListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${RANGE.from} and ${RANGE.to}`);
}
