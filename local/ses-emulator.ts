import type { Server } from 'node:http';
import { createServer } from 'node:net';
import startSesServer from 'aws-ses-v2-local';

export const DEFAULT_SES_PORT = 8005;
const HOST = '127.0.0.1';

export interface SesEmulator {
  /** SES endpoint for the SDK (`SES_ENDPOINT`); the web inbox is served at the same address. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Fails with a clear message when the port is taken (the emulator would otherwise crash the process). */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`SES emulator: port ${port} on ${HOST} is not available (${error.code}); set SES_PORT`)),
    );
    probe.listen(port, HOST, () => probe.close(() => resolve()));
  });
}

/**
 * Starts `aws-ses-v2-local` in this process, bound to loopback only: it accepts SES SendEmail
 * calls, keeps the mail in memory, and serves a web inbox at `/` and the mail as JSON at `GET /store`.
 */
export async function startSesEmulator(options: { port?: number } = {}): Promise<SesEmulator> {
  const port = options.port ?? DEFAULT_SES_PORT;
  await assertPortFree(port);
  const server: Server = await startSesServer({ host: HOST, port });
  return {
    endpoint: `http://${HOST}:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The inbox page keeps connections alive; close them so stop() does not wait on a browser.
        server.closeAllConnections();
      }),
  };
}
