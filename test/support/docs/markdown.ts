import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';

/**
 * What the docs checks need from one Markdown file, read with markdown-it (CommonMark + GFM
 * tables, as GitHub renders them): its heading anchors, links, fenced code blocks, inline code and
 * tables. Line numbers are 1-based, for messages a reader can jump to.
 */
export interface MarkdownDoc {
  /** Repository-relative path, e.g. `docs/cli.md`. */
  file: string;
  /** The anchors GitHub gives the headings (`## Context parameters` → `context-parameters`). */
  anchors: Set<string>;
  links: { href: string; line: number }[];
  codeBlocks: { lang: string; info: string; content: string; line: number }[];
  codeSpans: { text: string; line: number }[];
  /** Each table under the heading it follows (by anchor), as rows of cells; the header row first. */
  tables: { section: string; rows: TableCell[][] }[];
}

export interface TableCell {
  /** The cell's text, inline code included without its backticks. */
  text: string;
  /** The cell's inline code spans. */
  code: string[];
}

const markdown = new MarkdownIt();

export function parseMarkdown(file: string, source: string): MarkdownDoc {
  const doc: MarkdownDoc = { file, anchors: new Set(), links: [], codeBlocks: [], codeSpans: [], tables: [] };
  // One slugger per file: GitHub numbers repeated headings (`-1`, `-2`) within a page.
  const slugger = new GithubSlugger();
  const tokens = markdown.parse(source, {});
  let line = 1;
  let section = '';
  let row: TableCell[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.map) line = token.map[0] + 1;
    switch (token.type) {
      case 'heading_open': {
        const inline = tokens[i + 1]!;
        section = slugger.slug(plainText(inline.children ?? []));
        doc.anchors.add(section);
        break;
      }
      case 'fence': {
        const info = token.info.trim();
        doc.codeBlocks.push({ lang: info.split(/\s+/)[0] ?? '', info, content: token.content, line: line + 1 });
        break;
      }
      case 'table_open':
        doc.tables.push({ section, rows: [] });
        break;
      case 'tr_open':
        row = [];
        doc.tables.at(-1)!.rows.push(row);
        break;
      case 'inline': {
        const children = token.children ?? [];
        // A paragraph's lines are one inline token; its line breaks say which line a link is on.
        let at = line;
        for (const child of children) {
          if (child.type === 'softbreak' || child.type === 'hardbreak') at++;
          if (child.type === 'link_open') doc.links.push({ href: String(child.attrGet('href') ?? ''), line: at });
          if (child.type === 'image') doc.links.push({ href: String(child.attrGet('src') ?? ''), line: at });
          if (child.type === 'code_inline') doc.codeSpans.push({ text: child.content, line: at });
        }
        const cellOpen = tokens[i - 1]?.type;
        if (row && (cellOpen === 'td_open' || cellOpen === 'th_open')) {
          row.push({ text: plainText(children), code: children.filter((c) => c.type === 'code_inline').map((c) => c.content) });
        }
        break;
      }
    }
  }
  return doc;
}

/** The text a reader sees: what GitHub slugs a heading from. */
function plainText(children: { type: string; content: string }[]): string {
  return children
    .filter((child) => child.type === 'text' || child.type === 'code_inline')
    .map((child) => child.content)
    .join('');
}

/** README.md and every page under docs/, parsed, keyed by repository-relative path. */
export function readDocs(root: string): Map<string, MarkdownDoc> {
  const files = ['README.md', ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' }).map((f) => join('docs', f))]
    .filter((file) => file.endsWith('.md'))
    .sort();
  return new Map(files.map((file) => [file, parseMarkdown(relative(root, join(root, file)), readFileSync(join(root, file), 'utf8'))]));
}

/** The table that follows the heading with this anchor (the first one under it). */
export function tableUnder(doc: MarkdownDoc, anchor: string): TableCell[][] {
  const table = doc.tables.find((t) => t.section === anchor);
  if (!table) throw new Error(`${doc.file}: no table under #${anchor}`);
  return table.rows;
}
