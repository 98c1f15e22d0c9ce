import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_TARGET } from '../lib/constructs/keyward-function';
import { percentile } from './stats';

const ROOT = resolve(__dirname, '..');
/** Fresh processes per figure: module load is measured once per process, as a cold start pays it. */
const PROCESSES = 15;

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
}

/**
 * Bundles `entry` as the ApiKeyAuthorizer construct's function is bundled (lib/constructs/keyward-function.ts:
 * esbuild, minified, tree-shaken, CommonJS, an external source map without sources).
 */
export async function bundle(work: string, name: string, entry: string): Promise<Bundle> {
  const file = join(work, `${name}.js`);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    minify: true,
    treeShaking: true,
    sourcemap: true,
    sourcesContent: false,
    platform: 'node',
    // As deployed (KeywardFunction's bundling).
    target: BUNDLE_TARGET,
    format: 'cjs',
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'silent',
  });
  return { name, file, bytes: statSync(file).size };
}

/**
 * The entries measured next to the authorizer: the SDK's DynamoDB document client alone, the
 * thin adapter alone, and the Powertools logger alone. Each exports `read(tokenHash)`, one
 * strongly consistent GetItem of a hot item (the logger's is a no-op), for the first-request figure.
 */
export function baselineEntries(work: string): Record<'sdk' | 'thin' | 'logger', string> {
  const write = (name: string, source: string) => {
    const file = join(work, `${name}.ts`);
    writeFileSync(file, source);
    return file;
  };
  const lambdas = join(ROOT, 'lambdas');
  return {
    sdk: write(
      'sdk-only',
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
const client = DynamoDBDocumentClient.from(new DynamoDBClient(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}));
export const read = (hash: string) =>
  client.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: 'KEYHASH#' + hash, sk: 'KEYHASH' }, ConsistentRead: true }));
`,
    ),
    thin: write(
      'thin-only',
      `import { DynamoDbHttpClient } from '${lambdas}/adapters/dynamodb-http/client';
import { DynamoDbHttpKeyLookup } from '${lambdas}/adapters/dynamodb-http/key-lookup';
const lookup = new DynamoDbHttpKeyLookup(DynamoDbHttpClient.fromEnvironment(process.env.DYNAMODB_ENDPOINT), process.env.TABLE_NAME!);
export const read = (hash: string) => lookup.findByHash(hash);
`,
    ),
    logger: write(
      'logger-only',
      `import { Logger } from '@aws-lambda-powertools/logger';
export const logger = new Logger({ serviceName: 'keyward' });
export const read = async () => undefined;
`,
    ),
  };
}

/** The prefix of the line a figure's process prints its figure on: the function's own output (its EMF metric lines) may share stdout. */
const FIGURE = 'BENCH_FIGURE ';
const printFigure = (expression: string) => `process.stdout.write('\\n${FIGURE}'+(${expression})+'\\n')`;

/** The figure in a process's stdout, or a throw that shows what it printed instead. */
export function figureOf(stdout: string): number {
  const line = stdout
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith(FIGURE));
  const value = line === undefined ? Number.NaN : Number(line.slice(FIGURE.length));
  if (!Number.isFinite(value)) throw new Error(`a bench process printed no figure: ${JSON.stringify(stdout.slice(-500))}`);
  return value;
}

/** One fresh Node process running `script`; the line it marks is the figure. Everything else (its warnings, its EMF lines) is dropped. */
function runNode(nodeArgs: string[], script: string, env: NodeJS.ProcessEnv): number {
  return figureOf(
    execFileSync(process.execPath, [...nodeArgs, '-e', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

/** A figure taken in a fresh process: node arguments and the script that prints it. */
export interface ProcessFigure {
  nodeArgs?: string[];
  script: string;
}

/** The time `require(file)` takes. */
export const moduleLoad = (file: string, nodeArgs: string[] = []): ProcessFigure => ({
  nodeArgs,
  script: `const t=process.hrtime.bigint();require(${JSON.stringify(file)});${printFigure('Number(process.hrtime.bigint()-t)/1e6')}`,
});

/**
 * The time to load the module and complete its first request: what a cold start costs before the
 * first answer. `call` is an expression on the loaded module `m`. A part loaded lazily (Node's
 * `fetch` loads undici on first use) counts here, not in module load.
 */
export const firstRequest = (file: string, call: string): ProcessFigure => ({
  script: `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});Promise.resolve(${call}).catch(()=>{}).then(()=>{${printFigure('Number(process.hrtime.bigint()-t)/1e6')};process.exit(0)})`,
});

/**
 * p50 of each figure over 15 fresh processes, taken in rounds (one process of each figure per
 * round), so the load other work puts on the machine affects every figure alike.
 */
export function p50InFreshProcesses<K extends string>(figures: Record<K, ProcessFigure>, env: NodeJS.ProcessEnv): Record<K, number> {
  const names = Object.keys(figures) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < PROCESSES; round++) {
    for (const name of names) samples.get(name)!.push(runNode(figures[name].nodeArgs ?? [], figures[name].script, env));
  }
  return Object.fromEntries(names.map((name) => [name, percentile(samples.get(name)!, 50)])) as Record<K, number>;
}

/**
 * µs per 401 of the loaded authorizer, error stack included (the Lambda runtime reads it to
 * report the error): with `--enable-source-maps`, each stack is mapped back to the sources.
 */
export const unauthorized = (file: string, event: unknown, nodeArgs: string[] = []): ProcessFigure => ({
  nodeArgs,
  script: `const m=require(${JSON.stringify(file)});const e=${JSON.stringify(event)};(async()=>{let n=0;
for(let i=0;i<200;i++)await m.handler(e).catch(x=>{n+=x.stack.length});
const t=process.hrtime.bigint();for(let i=0;i<2000;i++)await m.handler(e).catch(x=>{n+=x.stack.length});
${printFigure('Number(process.hrtime.bigint()-t)/1e3/2000')}})()`,
});

/**
 * What the loaded authorizer writes to stdout (its Powertools logs and EMF metric lines: what
 * Lambda ships to CloudWatch Logs) per request over `requests` calls of `event`, in log events
 * (lines) and bytes. The first call is left out: it is the one that writes `last_used_at`.
 */
export function outputPerRequest(
  file: string,
  event: unknown,
  requests: number,
  env: NodeJS.ProcessEnv,
): { events: number; bytes: number } {
  const script = `const m=require(${JSON.stringify(file)});const e=${JSON.stringify(event)};(async()=>{
await m.handler(e).catch(()=>{});process.stdout.write('\\n${FIGURE}start\\n');
for(let i=0;i<${requests};i++)await m.handler(e).catch(()=>{});
${printFigure('0')}})()`;
  const stdout = execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  figureOf(stdout);
  const measured = stdout.slice(stdout.indexOf(`${FIGURE}start`) + `${FIGURE}start`.length);
  const lines = measured.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(FIGURE));
  const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8'), 0);
  return { events: lines.length / requests, bytes: bytes / requests };
}

/**
 * What the authorizer bundle writes when a minute closes (its decision metrics, published once a
 * minute): one request, then the clock moved a minute on (`Date` shifted in the process) and one
 * more request, whose output is the first minute's EMF documents. Returns their events and bytes.
 */
export function minuteFlushOutput(file: string, event: unknown, env: NodeJS.ProcessEnv): { events: number; bytes: number } {
  const script = `const m=require(${JSON.stringify(file)});const e=${JSON.stringify(event)};(async()=>{
await m.handler(e).catch(()=>{});
const D=Date;globalThis.Date=class extends D{constructor(...a){a.length===0?super(D.now()+60000):super(...a)}static now(){return D.now()+60000}};
process.stdout.write('\\n${FIGURE}start\\n');
await m.handler(e).catch(()=>{});
${printFigure('0')}})()`;
  const stdout = execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  figureOf(stdout);
  const measured = stdout.slice(stdout.indexOf(`${FIGURE}start`) + `${FIGURE}start`.length);
  const lines = measured.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(FIGURE));
  return { events: lines.length, bytes: lines.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8'), 0) };
}
