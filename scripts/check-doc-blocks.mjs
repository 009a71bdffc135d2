#!/usr/bin/env node
// Type-checks every TypeScript code block of the docs (`docs/**/*.md`), the package and example READMEs and the root
// README against the packages, so the docs cannot drift from the code.
//
// Each ```ts / ```typescript block becomes its own strict ES module under docs/.blocks/ (git-ignored), compiled by
// one `tsc` run with the workspace's settings; errors are reported at the Markdown file and line they came from.
// What a block takes from its surroundings (a `gate`, a `session`, an earlier block's values) is declared once per file
// in a hidden comment that every block of that file is compiled after — declarations only, type-checked too:
//
//   <!-- doc-check
//   import type { AgentSession } from '@agentgate/core';
//   declare const session: AgentSession;
//   -->
//
// A block fenced as ```ts continued is compiled after the block before it (and what that one continued), so a page can
// build one example up step by step.
// A block that is deliberately not TypeScript of this project (a type error shown on purpose, say) is fenced as
// ```ts no-check — the count of such blocks is printed, so they stay rare and visible.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'docs', '.blocks');

/** Markdown files whose blocks are checked. */
function markdownFiles() {
  const files = ['README.md'];
  const walk = (dir) => {
    for (const name of readdirSync(join(root, dir))) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) {
      const readme = join(group, name, 'README.md');
      try {
        statSync(join(root, readme));
        files.push(readme);
      } catch {
        // a package without a README has no blocks
      }
    }
  }
  return files;
}

/** The TypeScript blocks of one Markdown text: `{ code, line }` with the 1-based line of the block's first code line. */
function extractBlocks(text) {
  const blocks = [];
  let skipped = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b(.*)$/.exec(lines[index]);
    if (!open) continue;
    const [, indent, fence, , info] = open;
    const body = [];
    let end = index + 1;
    while (end < lines.length && !lines[end].trimStart().startsWith(fence)) {
      body.push(lines[end].startsWith(indent) ? lines[end].slice(indent.length) : lines[end]);
      end++;
    }
    if (/\bno-check\b/.test(info)) skipped++;
    else blocks.push({ code: body.join('\n'), line: index + 2, continued: /\bcontinued\b/.test(info) });
    index = end;
  }
  const preludes = [...text.matchAll(/<!--\s*doc-check\s*\n([\s\S]*?)-->/g)].map((match) => ({
    code: match[1],
    line: text.slice(0, match.index).split('\n').length + 1,
  }));
  return { blocks, skipped, preludes };
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

/** Lines of a piece of code, without a trailing newline's empty last line. */
const linesOf = (code) => code.replace(/\n$/, '').split('\n');

const origins = new Map(); // generated file -> { markdown, segments: [{ from, count, line }] }
let total = 0;
let skippedTotal = 0;
for (const markdown of markdownFiles()) {
  const { blocks, skipped, preludes } = extractBlocks(readFileSync(join(root, markdown), 'utf8'));
  skippedTotal += skipped;
  // A generated file is the file's hidden declarations, then the blocks this one continues, then the block itself;
  // `segments` maps each generated line back to its Markdown line.
  let chain = [];
  blocks.forEach((block, n) => {
    chain = block.continued ? [...chain, block] : [block];
    const parts = [...preludes, ...chain];
    const segments = [];
    const code = [];
    for (const part of parts) {
      const lines = linesOf(part.code);
      segments.push({ from: code.length, count: lines.length, line: part.line });
      code.push(...lines);
    }
    const name = `${markdown.replace(/[/\\.]/g, '_')}_${n + 1}.ts`;
    // `export {}` keeps each block its own module, so names never clash between blocks.
    writeFileSync(join(outDir, name), `${code.join('\n')}\nexport {};\n`);
    origins.set(name, { markdown, segments });
    total++;
  });
}

writeFileSync(
  join(outDir, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: '../../tsconfig.base.json',
      compilerOptions: { noEmit: true, allowImportingTsExtensions: true, noUnusedLocals: false },
      include: ['*.ts'],
    },
    null,
    2,
  ),
);

const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'], {
  cwd: join(root, 'docs'),
  encoding: 'utf8',
});
if (result.error) {
  console.error(`[docs] could not run tsc: ${result.error.message}`);
  process.exit(2);
}

/** The Markdown line of a generated file's line: in a hidden prelude, a continued block, or the block itself. */
function markdownLine(origin, row) {
  const index = row - 1;
  const segment = origin.segments.find((part) => index >= part.from && index < part.from + part.count);
  return segment ? segment.line + index - segment.from : (origin.segments.at(-1)?.line ?? 1);
}

const output = `${result.stdout}${result.stderr}`;
const reported = [];
for (const line of output.split('\n')) {
  const match = /^(.*?)\((\d+),(\d+)\): (error .*)$/.exec(line);
  if (!match) {
    if (line.trim()) reported.push(line);
    continue;
  }
  const [, file, row, column, message] = match;
  const origin = origins.get(relative(outDir, join(root, 'docs', file)).replace(/\\/g, '/'));
  if (origin) reported.push(`${origin.markdown}:${markdownLine(origin, Number(row))}:${column} ${message}`);
  else reported.push(`${relative(root, join(root, 'docs', file))}(${row},${column}): ${message}`);
}

if (result.status !== 0 || reported.length > 0) {
  console.error(reported.join('\n'));
  console.error(`[docs] ${reported.length} problem(s) in ${total} TypeScript blocks`);
  process.exit(1);
}
console.log(
  `[docs] ${total} TypeScript blocks type-check against the packages${skippedTotal ? ` (${skippedTotal} marked no-check)` : ''}`,
);
