import { checkInline, checkShell, commandProblems } from '../../support/docs/commands';
import { brokenLinks } from '../../support/docs/links';
import { parseMarkdown } from '../../support/docs/markdown';
import { ROOT, repositoryWorld } from '../../support/docs/repository';

/** The docs checks themselves: each kind of broken example fails, and sound ones pass. */
const world = repositoryWorld();
const shell = (content: string) => checkShell(content, world).map((problem) => problem.message);

describe('the docs link check', () => {
  const check = (markdown: string) => brokenLinks(ROOT, new Map([['docs/example.md', parseMarkdown('docs/example.md', markdown)]]));

  it('fails a link to a missing file, a missing heading, or outside the repository', () => {
    const problems = check(
      ['# Example', '', '[gone](missing-page.md)', '[typo](cli.md#no-such-heading)', '[self](#nowhere)', '[out](../../outside.md)'].join(
        '\n',
      ),
    );
    expect(problems).toEqual([
      'docs/example.md:3: [missing-page.md]: docs/missing-page.md does not exist',
      'docs/example.md:4: [cli.md#no-such-heading]: docs/cli.md has no heading #no-such-heading',
      'docs/example.md:5: [#nowhere]: docs/example.md has no heading #nowhere',
      'docs/example.md:6: [../../outside.md] points outside the repository',
    ]);
  });

  it("passes links to files, folders and headings as GitHub anchors them, and leaves other sites' links alone", () => {
    const markdown = [
      '# Example',
      '## Operator CLI: `keyward`',
      '## Repeated',
      '## Repeated',
      '[cli](cli.md#redrive) [source](../lib/config.ts) [folder](../lib/) [here](#operator-cli-keyward) [second](#repeated-1)',
      '[site](https://example.com/missing.md#nowhere) [mail](mailto:a@example.com)',
    ].join('\n');
    expect(check(markdown)).toEqual([]);
  });
});

describe('the docs command check', () => {
  it('fails scripts, bins, commands and options that do not exist, with the command in the message', () => {
    expect(shell('npm run no-such-script')).toEqual(['npm script "no-such-script" does not exist (in: npm run no-such-script)']);
    // The README once told readers to run this; the console has no dev script.
    expect(shell('npm run dev -w console')).toEqual(['npm script "dev" does not exist in workspace console (in: npm run dev -w console)']);
    expect(shell('npm bench')).toEqual([expect.stringContaining('"npm bench" is neither an npm command')]);
    expect(shell('npx no-such-bin --version')).toEqual([expect.stringContaining('npx no-such-bin: no such bin')]);
    expect(shell('frobnicate --all')).toEqual([expect.stringContaining('unknown command "frobnicate"')]);
  });

  it("fails keyward commands, options and values the CLI's commander definitions do not have", () => {
    expect(shell('npx keyward keys rotat --org acme --key 01JD…')).toEqual([
      expect.stringContaining('keyward keys has no command "rotat"'),
    ]);
    expect(shell('npx keyward keys rotate --org acme --key 01JD… --expires-in 2d')).toEqual([
      expect.stringContaining('keyward keys rotate --expires-in takes now, 1h, 24h, 48h, 7d, not "2d"'),
    ]);
    expect(shell('npx keyward keys rotate --org acme')).toEqual([expect.stringContaining('keyward keys rotate needs --key')]);
    // --table was removed when the CLI started reading the stack's outputs.
    expect(shell('node bin/keyward-cli.js org create --name Acme --admin a@acme.test --table t')).toEqual([
      expect.stringContaining('keyward org create has no option --table'),
    ]);
    expect(shell('npx keyward org')).toEqual([
      expect.stringContaining('keyward org needs a command (create, list, show, add-member, remove-member, set-plan)'),
    ]);
    expect(shell('export ADMIN_JWT=$(npx keyward tokn --email a@acme.test)\necho "$ADMIN_JWT"')).toEqual([
      expect.stringContaining('keyward has no command "tokn"'),
      expect.stringContaining('unknown command "echo"'),
    ]);
  });

  it('fails context keys the CDK app does not read, missing paths, and variables nothing reads', () => {
    expect(shell('npx cdk deploy -c stage=prod -c keyPrefx=acme')).toEqual([expect.stringContaining('context key "keyPrefx" is not one')]);
    expect(shell('tail -f docs/no-such-page.md')).toEqual([expect.stringContaining('path docs/no-such-page.md does not exist')]);
    expect(shell('node local/no-such-start.ts')).toEqual([expect.stringContaining('path local/no-such-start.ts does not exist')]);
    expect(shell('KEYWARD_NO_SUCH_SETTING=1 npm start')).toEqual([expect.stringContaining('KEYWARD_NO_SUCH_SETTING is read nowhere')]);
  });

  it('passes sound commands: placeholders, comments, continuations, substitutions, ignored state paths, shell variables', () => {
    const block = [
      'npm ci && npm start   # a comment with npm run nothing',
      'KEYWARD_REMINDER_DAY_MS=1000 npm start -- --fresh',
      'npx cdk deploy -c stage=prod -c sesSender=example.com \\',
      '  -c keyPrefix=acme',
      'export ADMIN_JWT=$(npx keyward token --email alice@acme.test)',
      'curl -s -H "Authorization: Bearer $ADMIN_JWT" http://127.0.0.1:3000/v1/organizations/<org>/api_keys',
      'npx keyward keys rotate --org acme --key 01JD… --expires-in 24h --json',
      'node bin/keyward-cli.js migrate --stack keyward-prod --json',
      'tail -f .keyward/events.jsonl',
      'npm run console:build -- --force',
      'npm exec -w console -- vite',
      'npx keyward --version',
      'npx keyward org create --help',
    ].join('\n');
    expect(shell(block)).toEqual([]);
  });

  it('checks commands and paths quoted inline, reading usage syntax', () => {
    expect(checkInline('keyward keys rotate --org <id> --key <id> [--expires-in now|1h|2d] [--json]', world)).toEqual([
      'keyward keys rotate --expires-in takes now, 1h, 24h, 48h, 7d, not "2d"',
    ]);
    expect(checkInline('-c alarmEmial=oncall@example.com', world)).toEqual([expect.stringContaining('context key "alarmEmial"')]);
    expect(checkInline('lambdas/no/such/module.ts', world)).toEqual(['path lambdas/no/such/module.ts does not exist in the repository']);
    expect(checkInline('keyward <command> --help', world)).toEqual([]);
    expect(checkInline('keyward org add-member --org <id> --email <e> [--role admin|member]', world)).toEqual([]);
    expect(checkInline('application/json', world)).toEqual([]);
  });

  it('reports each problem at its line in its page', () => {
    const doc = parseMarkdown(
      'docs/example.md',
      ['# Example', '', '```sh', 'npm ci', 'npm run nope', '```', '', 'Then `npx keyward keys lst`.'].join('\n'),
    );
    expect(commandProblems([doc], world)).toEqual([
      'docs/example.md:5: npm script "nope" does not exist (in: npm run nope)',
      'docs/example.md:8: `npx keyward keys lst`: keyward keys has no command "lst" (it has list, rotate, set-allowed-ips, delete)',
    ]);
  });
});
