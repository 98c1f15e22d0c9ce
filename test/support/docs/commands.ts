import type { Command, Option } from 'commander';
import { type ParseEntry, parse } from 'shell-quote';
import type { MarkdownDoc } from './markdown';

/**
 * What a command in the docs may refer to, read from the repository itself (see
 * `repositoryWorld`): a checked command names only things that exist here.
 */
export interface CommandWorld {
  /** npm scripts by workspace: `''` is the root package; a workspace by its folder and by its name. */
  scripts: ReadonlyMap<string, ReadonlySet<string>>;
  /** What `npx <bin>` can run: `node_modules/.bin` and the package's own bins. */
  bins: ReadonlySet<string>;
  /** The `keyward` CLI as commander defines it: its commands, options and choices. */
  cli: Command;
  /** The context keys the CDK app reads (`-c key=value`). */
  contextKeys: ReadonlySet<string>;
  /** The repository's top-level entries: a word that starts with one of them and `/` is a path. */
  topLevel: ReadonlySet<string>;
  /** The path exists in the repository, or is one it ignores on purpose (state, build output). */
  pathExists(path: string): boolean;
  /** The repository's code reads this environment variable (its name appears outside the docs). */
  readsVariable(name: string): boolean;
}

/** Tools the reader installs, which the repository does not: their commands are not checked, their path arguments are. */
export const EXTERNAL_TOOLS: ReadonlySet<string> = new Set(['apt-get', 'aws', 'cat', 'curl', 'date', 'tail']);
/** npm's own commands that the docs use (anything else must be a script). */
const NPM_BUILTINS: ReadonlySet<string> = new Set(['ci', 'install', 'i', 'exec']);
/** npm commands that run the script of the same name. */
const NPM_SCRIPT_SHORTCUTS: ReadonlySet<string> = new Set(['start', 'test', 'stop', 'restart']);
/** The CLI's entry as `node` runs it. */
const CLI_ENTRY = 'bin/keyward-cli.js';
/** Node flags that take a value (`node --import tsx local/start.ts`). */
const NODE_VALUE_FLAGS: ReadonlySet<string> = new Set(['--import', '--require', '-r', '--env-file']);

const PLACEHOLDER = '__placeholder__';
/** `<api_key_id>`, `<a strong password>`: a value the reader fills in. */
const ANGLE_PLACEHOLDER = /<[^<>\s][^<>]*>/g;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const CONTROL_OPERATORS: ReadonlySet<string> = new Set(['&&', '||', ';', '|', '&', '|&', ';;', '(', ')']);

interface Context {
  world: CommandWorld;
  /** A sh block holds whole commands: a CLI command must be a leaf and carry its required options. */
  complete: boolean;
  /** Usage syntax (a table's `--role admin|member`): `|` separates the values an option may take. */
  alternatives: boolean;
  /** Variables the same block reads (`$ADMIN_JWT`): assigning one is the reader's own shell state. */
  readLater: ReadonlySet<string>;
}

const isPlaceholder = (word: string): boolean => word.includes(PLACEHOLDER) || word.includes('…') || word.includes('$');

/**
 * Every command of every `sh` block and every command quoted inline in the docs, checked against
 * the world. Returns one line per problem: `file:line: problem`.
 */
export function commandProblems(docs: Iterable<MarkdownDoc>, world: CommandWorld): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    for (const block of doc.codeBlocks.filter((b) => b.lang === 'sh')) {
      for (const problem of checkShell(block.content, world))
        problems.push(`${doc.file}:${block.line + problem.offset}: ${problem.message}`);
    }
    for (const span of doc.codeSpans) {
      for (const message of checkInline(span.text, world)) problems.push(`${doc.file}:${span.line}: \`${span.text}\`: ${message}`);
    }
  }
  return problems;
}

/** The problems of one shell block, each with its line offset in the block. */
export function checkShell(content: string, world: CommandWorld): { offset: number; message: string }[] {
  const problems: { offset: number; message: string }[] = [];
  const readLater = new Set([...content.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
  for (const { text, offset } of logicalLines(content)) {
    const context: Context = { world, complete: true, alternatives: false, readLater };
    for (const command of commandsOf(text)) {
      for (const message of checkCommand(command, context)) problems.push({ offset, message: `${message} (in: ${text.trim()})` });
    }
  }
  return problems;
}

/**
 * A command or path quoted inline (`npm run openapi`, `keyward keys rotate --org <id>`,
 * `-c alarmEmail=…`, `lib/constructs/token-key.ts`); other inline code is not a command.
 */
export function checkInline(text: string, world: CommandWorld): string[] {
  const context: Context = { world, complete: false, alternatives: true, readLater: new Set() };
  // Usage syntax: brackets mark what is optional, not shell.
  const words = text.replace(ANGLE_PLACEHOLDER, PLACEHOLDER).replace(/[[\]]/g, ' ').split(/\s+/).filter(Boolean);
  const first = words.find((word) => !ASSIGNMENT.test(word));
  if (first === undefined) return [];
  if (['npm', 'npx', 'keyward', 'node'].includes(first)) return checkCommand(words, context);
  if (first === '-c' && words.length === 2) return checkCdk(words, context);
  if (words.length === 1) return checkPath(first, world);
  return [];
}

/** Lines of a block with `\`-continuations joined, and where each starts. */
function logicalLines(content: string): { text: string; offset: number }[] {
  const lines: { text: string; offset: number }[] = [];
  let current: { text: string; offset: number } | undefined;
  content.split('\n').forEach((line, index) => {
    current ??= { text: '', offset: index };
    if (line.endsWith('\\')) {
      current.text += `${line.slice(0, -1)} `;
      return;
    }
    current.text += line;
    if (current.text.trim() !== '') lines.push(current);
    current = undefined;
  });
  return lines;
}

/** The simple commands of a line, as argument lists: command substitutions and pipelines included. */
function commandsOf(line: string): string[][] {
  const { outer, inner } = withoutSubstitutions(line.replace(ANGLE_PLACEHOLDER, PLACEHOLDER));
  const commands = inner.flatMap(commandsOf);
  let current: string[] = [];
  let skipNext = false;
  const entries: ParseEntry[] = parse(outer, (name) => `$${name}`);
  for (const entry of entries) {
    if (typeof entry === 'string') {
      if (skipNext) skipNext = false;
      else current.push(entry);
    } else if ('comment' in entry) {
      break;
    } else if ('pattern' in entry) {
      current.push(entry.pattern);
    } else if (CONTROL_OPERATORS.has(entry.op)) {
      if (current.length > 0) commands.push(current);
      current = [];
    } else {
      // A redirection: its target is a file of the reader's, not a command word.
      skipNext = true;
    }
  }
  if (current.length > 0) commands.push(current);
  return commands;
}

/** `$( … )` outside single quotes, taken out as commands of their own and replaced by a value. */
function withoutSubstitutions(line: string): { outer: string; inner: string[] } {
  const inner: string[] = [];
  let outer = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === "'" && quote === undefined) {
      quote = c;
    } else if (c === '"') {
      quote = quote === '"' ? undefined : '"';
    } else if (c === '$' && line[i + 1] === '(') {
      let depth = 1;
      let j = i + 2;
      for (; j < line.length && depth > 0; j++) {
        if (line[j] === '(') depth++;
        if (line[j] === ')') depth--;
      }
      inner.push(line.slice(i + 2, j - 1));
      outer += PLACEHOLDER;
      i = j - 1;
      continue;
    }
    outer += c;
  }
  return { outer, inner };
}

function checkCommand(words: string[], context: Context): string[] {
  const problems: string[] = [];
  let index = 0;
  for (; index < words.length; index++) {
    const assignment = ASSIGNMENT.exec(words[index]!);
    if (!assignment) break;
    problems.push(...checkVariable(assignment[1]!, context));
  }
  const [name, ...args] = words.slice(index);
  if (name === undefined) return problems;
  switch (name) {
    case 'npm':
      return [...problems, ...checkNpm(args, context)];
    case 'npx':
      return [...problems, ...checkNpx(args, context)];
    case 'node':
      return [...problems, ...checkNode(args, context)];
    case 'keyward':
      return [...problems, ...checkKeyward(args, context)];
    case 'export':
      return [
        ...problems,
        ...args.flatMap((arg) => {
          const assignment = ASSIGNMENT.exec(arg);
          return assignment ? checkVariable(assignment[1]!, context) : [];
        }),
      ];
    default:
      if (!EXTERNAL_TOOLS.has(name)) return [...problems, `unknown command "${name}" (not an npm script, bin or listed external tool)`];
      return [...problems, ...args.flatMap((arg) => checkPath(arg, context.world))];
  }
}

/** A variable given to a command must be one the repository reads, unless it is AWS's or the reader's own shell state. */
function checkVariable(name: string, context: Context): string[] {
  if (name.startsWith('AWS_') || context.readLater.has(name) || context.world.readsVariable(name)) return [];
  return [`environment variable ${name} is read nowhere in the repository`];
}

function checkNpm(args: string[], context: Context): string[] {
  let workspace = '';
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === '-w' || arg === '--workspace') workspace = args[++i] ?? '';
    else if (arg.startsWith('--workspace=')) workspace = arg.slice('--workspace='.length);
    else rest.push(arg);
  }
  const scripts = context.world.scripts.get(workspace);
  if (!scripts) return [`npm workspace "${workspace}" does not exist`];
  const [command, ...more] = rest;
  if (command === undefined) return context.complete ? ['npm without a command'] : [];
  if (command === 'run' || command === 'run-script') {
    const script = more.find((arg) => !arg.startsWith('-'));
    if (script === undefined) return context.complete ? ['npm run without a script'] : [];
    return scripts.has(script) ? [] : [`npm script "${script}" does not exist${workspace ? ` in workspace ${workspace}` : ''}`];
  }
  if (NPM_SCRIPT_SHORTCUTS.has(command)) return scripts.has(command) ? [] : [`npm script "${command}" does not exist`];
  if (command === 'exec') {
    const dashDash = more.indexOf('--');
    return dashDash === -1 ? [] : checkNpx(more.slice(dashDash + 1), context);
  }
  if (NPM_BUILTINS.has(command)) return [];
  return [`"npm ${command}" is neither an npm command the docs use (${[...NPM_BUILTINS].join(', ')}) nor a script shortcut`];
}

function checkNpx(args: string[], context: Context): string[] {
  const index = args.findIndex((arg) => !arg.startsWith('-'));
  if (index === -1) return [];
  const bin = args[index]!;
  const rest = args.slice(index + 1);
  if (!context.world.bins.has(bin)) return [`npx ${bin}: no such bin in node_modules/.bin or package.json`];
  if (bin === 'keyward') return checkKeyward(rest, context);
  if (bin === 'cdk') return checkCdk(rest, context);
  if (bin === 'tsx') return rest[0] ? checkPath(rest[0], context.world, { required: true }) : [];
  return [];
}

function checkNode(args: string[], context: Context): string[] {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += NODE_VALUE_FLAGS.has(args[i]!) ? 2 : 1;
  const script = args[i];
  if (script === undefined) return [];
  const problems = checkPath(script, context.world, { required: true });
  return script === CLI_ENTRY ? [...problems, ...checkKeyward(args.slice(i + 1), context)] : problems;
}

/** `-c key=value` / `--context key=value`: the key must be one the CDK app reads. */
function checkCdk(args: string[], context: Context): string[] {
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let pair: string | undefined;
    if (arg === '-c' || arg === '--context') pair = args[++i];
    else if (arg.startsWith('--context=')) pair = arg.slice('--context='.length);
    if (pair === undefined) continue;
    const key = pair.split('=')[0]!;
    if (!isPlaceholder(key) && !context.world.contextKeys.has(key))
      problems.push(`context key "${key}" is not one the CDK app reads (lib/config.ts CONTEXT_KEYS)`);
  }
  return problems;
}

/** Walks the CLI's commander tree: commands, options, their values and choices. */
function checkKeyward(args: string[], context: Context): string[] {
  const problems: string[] = [];
  let command = context.world.cli;
  const given = new Set<Option>();
  let help = false;
  const path = () => ['keyward', ...ancestry(command).map((c) => c.name())].join(' ');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-') && !isPlaceholder(arg)) {
      const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
      if (flag === '-h' || flag === '--help') {
        help = true;
        continue;
      }
      const option = findOption(command, flag);
      if (!option) {
        // Whether it would take a value is unknown, so the words after it cannot be read.
        problems.push(`${path()} has no option ${flag}`);
        return problems;
      }
      given.add(option);
      if (!option.required && !option.optional) continue;
      const value = inline ?? args[++i];
      if (value === undefined) {
        if (context.complete && option.required) problems.push(`${path()} ${flag} needs a value`);
        continue;
      }
      const values = context.alternatives ? value.split('|') : [value];
      for (const v of values) {
        if (option.argChoices && !isPlaceholder(v) && !option.argChoices.includes(v)) {
          problems.push(`${path()} ${flag} takes ${option.argChoices.join(', ')}, not "${v}"`);
        }
      }
      continue;
    }
    // A placeholder where a command goes (`keyward <command> --help`): nothing more to check.
    if (isPlaceholder(arg) && command.commands.length > 0) return problems;
    if (isPlaceholder(arg)) continue;
    if (command.commands.length > 0) {
      const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
      if (!sub) {
        problems.push(`${path()} has no command "${arg}" (it has ${command.commands.map((c) => c.name()).join(', ')})`);
        return problems;
      }
      command = sub;
    } else if (command.registeredArguments.length === 0) {
      problems.push(`${path()} takes no argument "${arg}"`);
    }
  }
  const version = [...given].some((option) => option.long === '--version');
  if (context.complete && !help && !version) {
    if (command.commands.length > 0) problems.push(`${path()} needs a command (${command.commands.map((c) => c.name()).join(', ')})`);
    for (const option of command.options) {
      if (option.mandatory && !given.has(option)) problems.push(`${path()} needs ${option.long}`);
    }
  }
  return problems;
}

/** The command and its parents up to (not including) the program. */
function ancestry(command: Command): Command[] {
  const chain: Command[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) chain.unshift(c);
  return chain;
}

/** An option of the command or of a parent (the program's `--stack` and `--json` go anywhere). */
function findOption(command: Command, flag: string): Option | undefined {
  for (let c: Command | null = command; c; c = c.parent) {
    const option = c.options.find((o) => o.long === flag || o.short === flag);
    if (option) return option;
  }
  return undefined;
}

/** A word that looks like a path in the repository (`lib/config.ts`, `.keyward/events.jsonl`) must name one. */
function checkPath(word: string, world: CommandWorld, { required = false } = {}): string[] {
  if (isPlaceholder(word) || /[*?]/.test(word)) return [];
  const path = word.replace(/^\.\//, '');
  const top = path.split('/')[0]!;
  const looksLikePath = path.includes('/') && world.topLevel.has(top);
  if (!looksLikePath && !required) return [];
  return world.pathExists(path) ? [] : [`path ${word} does not exist in the repository`];
}
