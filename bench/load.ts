import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const AUTOCANNON = require.resolve('autocannon/autocannon.js');

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/**
 * Drives `url` with autocannon for `seconds` at `connections` keep-alive connections, in its own
 * process (so the load generator does not share an event loop with the gateway it measures).
 * Loopback only: the URL is always one of this benchmark's own local servers.
 */
export async function load(
  url: string,
  options: { connections: number; seconds: number; method?: string; headers?: Record<string, string>; body?: string },
): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`refusing to load anything but loopback: ${url}`);
  const args = [AUTOCANNON, '--json', '--connections', String(options.connections), '--duration', String(options.seconds)];
  if (options.method) args.push('--method', options.method);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('--headers', `${name}=${value}`);
  if (options.body !== undefined) args.push('--body', options.body);
  const { stdout } = await run(process.execPath, [...args, url], { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
