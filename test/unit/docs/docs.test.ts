import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SUBJECTS } from '../../../lambdas/notifications/render';
import { OPERATIONS } from '../../../lambdas/operations/manifest';
import { CONTEXT_KEYS } from '../../../lib/config';
import { commandProblems } from '../../support/docs/commands';
import { brokenLinks } from '../../support/docs/links';
import { readDocs, tableUnder } from '../../support/docs/markdown';
import { ROOT, repositoryWorld } from '../../support/docs/repository';

/**
 * README.md and docs/ (STYLE.md rule 17): every link resolves, every command is run or checked to
 * exist, and the pages that mirror a list in the code list exactly what the code has.
 */
const docs = readDocs(ROOT);
const page = (file: string) =>
  docs.get(file) ??
  (() => {
    throw new Error(`no page ${file}`);
  })();

describe('the docs', () => {
  it('resolve every relative link, #anchors to headings included', () => {
    expect(brokenLinks(ROOT, docs)).toEqual([]);
  });

  it('name only scripts, bins, CLI commands and options, context keys, variables and paths that exist', () => {
    expect(commandProblems(docs.values(), repositoryWorld())).toEqual([]);
  });

  it('run every sh block marked runnable, successfully', async () => {
    const blocks = [...docs.values()].flatMap((doc) =>
      doc.codeBlocks
        .filter((block) => block.lang === 'sh' && block.info.split(/\s+/).includes('runnable'))
        .map((block) => ({ doc, block })),
    );
    expect(blocks.length).toBeGreaterThan(0);
    const results = await Promise.all(
      blocks.map(async ({ doc, block }) => {
        const where = `${doc.file}:${block.line}`;
        try {
          const { stdout } = await promisify(execFile)('bash', ['-eo', 'pipefail', '-c', block.content], { cwd: ROOT, timeout: 120_000 });
          return { where, ok: stdout.trim() !== '', output: '' };
        } catch (error) {
          const { stderr, message } = error as { stderr?: string; message: string };
          return { where, ok: false, output: stderr || message };
        }
      }),
    );
    expect(results.filter((result) => !result.ok)).toEqual([]);
  });

  it('keep README a front door: under the 250 lines past which it needs scrolling to find the map', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(250);
  });

  it('document every context parameter the CDK app reads, and no other, in deploying.md', () => {
    const documented = tableUnder(page('docs/deploying.md'), 'context-parameters')
      .slice(1)
      .flatMap((row) => row[0]!.code);
    expect([...documented].sort()).toEqual([...CONTEXT_KEYS].sort());
  });

  it('list every admin email with its exact subject in key-lifecycle.md', () => {
    const rows = tableUnder(page('docs/key-lifecycle.md'), 'admin-emails').slice(1);
    expect(Object.fromEntries(rows.map((row) => [row[0]!.code[0], row[1]!.code[0]]))).toEqual(SUBJECTS);
  });

  it("give each management function exactly its manifest row's table actions in security.md", () => {
    const rows = tableUnder(page('docs/security.md'), 'least-privilege').slice(1);
    const documented = Object.fromEntries(
      rows.flatMap((row) => row[0]!.code.map((fn) => [fn, row[1]!.code.length === 0 ? [] : [...row[1]!.code].sort()])),
    );
    for (const [entry, operation] of Object.entries(OPERATIONS)) {
      expect({ [entry]: documented[entry] }).toEqual({ [entry]: [...operation.table].sort() });
    }
  });
});
