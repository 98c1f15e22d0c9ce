import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { type MarkdownDoc, parseMarkdown } from './markdown';

/** A link with a scheme (`https:`, `mailto:`) leaves the repository: not ours to check. */
const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Every relative link of the docs, checked as GitHub resolves it: the file or folder exists
 * (relative to the page), and an `#anchor` into a Markdown file names one of its headings.
 * Returns one line per broken link: `file:line: problem`.
 */
export function brokenLinks(root: string, docs: ReadonlyMap<string, MarkdownDoc>): string[] {
  const problems: string[] = [];
  const parsed = new Map(docs);
  const anchorsOf = (file: string): Set<string> => {
    let doc = parsed.get(file);
    if (!doc) {
      doc = parseMarkdown(file, readFileSync(join(root, file), 'utf8'));
      parsed.set(file, doc);
    }
    return doc.anchors;
  };

  for (const doc of docs.values()) {
    for (const { href, line } of doc.links) {
      if (href === '' || EXTERNAL.test(href)) continue;
      const hash = href.indexOf('#');
      const path = decodeURIComponent(hash === -1 ? href : href.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(href.slice(hash + 1));
      const target = path === '' ? doc.file : normalize(join(dirname(doc.file), path));
      const where = `${doc.file}:${line}: [${href}]`;
      if (target.startsWith('..')) {
        problems.push(`${where} points outside the repository`);
        continue;
      }
      if (path !== '' && !existsSync(join(root, target))) {
        problems.push(`${where}: ${target} does not exist`);
        continue;
      }
      if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(target).has(anchor)) {
        problems.push(`${where}: ${target} has no heading #${anchor}`);
      }
    }
  }
  return problems;
}
