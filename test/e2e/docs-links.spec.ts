import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
/** The README is the front page: what the service is, how to run it, and a table of contents. */
const README_MAX_BYTES = 8192;

/** The markdown files whose links are checked: README.md and every docs/*.md. */
function markdownFiles(root: string): string[] {
  const docs = path.join(root, 'docs');
  const inDocs = fs.existsSync(docs)
    ? fs
        .readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => path.join(docs, name))
    : [];
  return [path.join(root, 'README.md'), ...inDocs];
}

/** Lines of fenced code blocks blanked (line numbers kept): `# comment` in a bash block is no heading. */
function withoutFences(markdown: string): string {
  let fence: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === null && marker) {
        fence = marker;
        return '';
      }
      if (fence !== null) {
        if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
        return '';
      }
      return line;
    })
    .join('\n');
}

/** Also without inline code spans: `[a](b)` inside backticks is text, not a link. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown)
    .split('\n')
    .map((line) => line.replace(/(`+)[^`][\s\S]*?\1/g, (span) => ' '.repeat(span.length)))
    .join('\n');
}

/**
 * GitHub's heading anchors: the heading's text as rendered (links and images reduced to their text,
 * code and emphasis markers and HTML tags dropped), lower-cased, every character but letters, digits,
 * `-`, `_` and spaces dropped, spaces turned into `-`. A repeated slug gets `-1`, `-2`, ….
 */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const match = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (!match) continue;
    const slug = githubSlug(match[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")`, and reference definitions `[ref]: target`. */
function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  withoutCode(markdown)
    .split('\n')
    .forEach((text, index) => {
      const inline = /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g;
      for (const match of text.matchAll(inline)) links.push({ line: index + 1, target: match[1] });
      const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(text);
      if (definition) links.push({ line: index + 1, target: definition[1] });
    });
  return links;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

interface DocsReport {
  readmeBytes: number;
  /** docs/*.md files README.md does not link to. */
  unlinkedDocs: string[];
  /** `file:line: problem` for each relative link whose file or heading does not exist. */
  brokenLinks: string[];
  /** How many relative links were checked (a checker that finds none checks nothing). */
  relativeLinks: number;
}

/** Checks README.md and docs/*.md under `root`. Reads files only: external links are never fetched. */
function checkDocs(root: string): DocsReport {
  const files = markdownFiles(root);
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    let set = anchorsOf.get(file);
    if (!set) anchorsOf.set(file, (set = headingAnchors(fs.readFileSync(file, 'utf8'))));
    return set;
  };
  const readme = path.join(root, 'README.md');
  const linkedFromReadme = new Set<string>();
  const brokenLinks: string[] = [];
  let relativeLinks = 0;

  for (const file of files) {
    const where = (line: number) => `${path.relative(root, file)}:${line}`;
    for (const { line, target } of linksOf(fs.readFileSync(file, 'utf8'))) {
      if (isExternal(target)) continue;
      relativeLinks++;
      const hash = target.indexOf('#');
      const pathPart = hash === -1 ? target : target.slice(0, hash);
      const anchor = hash === -1 ? undefined : target.slice(hash + 1);
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathPart.split('?')[0]);
      } catch {
        brokenLinks.push(`${where(line)}: ${target} is not a valid URL path`);
        continue;
      }
      const resolved =
        decoded === ''
          ? file
          : decoded.startsWith('/')
            ? path.join(root, decoded)
            : path.resolve(path.dirname(file), decoded);
      const inRepository = resolved === root || resolved.startsWith(root + path.sep);
      if (!inRepository || !fs.existsSync(resolved)) {
        brokenLinks.push(`${where(line)}: ${target} points to ${path.relative(root, resolved)}, which does not exist`);
        continue;
      }
      if (file === readme) linkedFromReadme.add(resolved);
      if (anchor !== undefined && resolved.endsWith('.md') && fs.statSync(resolved).isFile()) {
        if (!anchors(resolved).has(anchor)) {
          brokenLinks.push(
            `${where(line)}: ${target}: ${path.relative(root, resolved)} has no heading with the anchor #${anchor}`,
          );
        }
      }
    }
  }

  return {
    readmeBytes: fs.statSync(readme).size,
    unlinkedDocs: files
      .filter((file) => file !== readme && !linkedFromReadme.has(file))
      .map((file) => path.relative(root, file)),
    brokenLinks,
    relativeLinks,
  };
}

describe('README.md and docs/*.md', () => {
  const report = checkDocs(ROOT);

  it(`README.md is at most ${README_MAX_BYTES} bytes`, () => {
    expect(report.readmeBytes).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('README.md links every docs/*.md file', () => {
    expect(markdownFiles(ROOT).length).toBeGreaterThan(1);
    expect(report.unlinkedDocs).toEqual([]);
  });

  it('every relative link points to a file of the repository, and every #anchor to a heading of it', () => {
    expect(report.relativeLinks).toBeGreaterThan(20);
    expect(report.brokenLinks).toEqual([]);
  });
});

/** The checker itself, on a scratch repository: each kind of mistake is found, correct links pass. */
describe('the docs link checker', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };

  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'docs-links-')));
    write('src/main.ts', '');
    write('docs/images/page.png', '');
    write(
      'docs/guide.md',
      [
        '# Guide',
        '## ClickFunnels 2.0',
        '## `GET /connections/{id}/credentials`',
        '## Setup',
        '## Setup',
        '```bash',
        '# not a heading',
        '```',
        'Back to [the README](../README.md), [ours](#clickfunnels-20), [code](../src/main.ts#L1).',
        '`[not a link](nowhere.md)`',
      ].join('\n'),
    );
  });

  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('accepts correct links and anchors, with GitHub slugs', () => {
    write(
      'README.md',
      [
        '# Service',
        '![page](docs/images/page.png)',
        '[guide](docs/guide.md), [the route](docs/guide.md#get-connectionsidcredentials)',
        '[again](./docs/guide.md#setup-1) [web](https://example.com/missing.md) [top](#service)',
        '[ref]: docs/guide.md#setup',
      ].join('\n'),
    );
    expect(checkDocs(root)).toEqual({
      readmeBytes: expect.any(Number),
      unlinkedDocs: [],
      brokenLinks: [],
      relativeLinks: 9,
    });
  });

  it('finds a missing file, a missing heading, an unlinked document and an oversized README', () => {
    write('docs/other.md', '# Other\n[gone](missing.md)\n');
    write(
      'README.md',
      [
        '# Service',
        '[guide](docs/guide.md#no-such-heading)',
        '[not a heading](docs/guide.md#not-a-heading)',
        '[image](docs/images/missing.png)',
        'x'.repeat(README_MAX_BYTES),
      ].join('\n'),
    );
    const found = checkDocs(root);
    expect(found.readmeBytes).toBeGreaterThan(README_MAX_BYTES);
    expect(found.unlinkedDocs).toEqual(['docs/other.md']);
    expect(found.brokenLinks).toEqual([
      'README.md:2: docs/guide.md#no-such-heading: docs/guide.md has no heading with the anchor #no-such-heading',
      'README.md:3: docs/guide.md#not-a-heading: docs/guide.md has no heading with the anchor #not-a-heading',
      'README.md:4: docs/images/missing.png points to docs/images/missing.png, which does not exist',
      'docs/other.md:2: missing.md points to docs/missing.md, which does not exist',
    ]);
  });
});
