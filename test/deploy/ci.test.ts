/**
 * .ci/run's Node 24 stage runs the entries of test/node-versions.txt as vitest path filters: an entry
 * naming nothing (a test file renamed or merged) would drop its tests from that stage without a word.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The entries as .ci/run reads them: comments and blank lines dropped. */
function entries(): string[] {
  return fs
    .readFileSync(path.join(ROOT, 'test/node-versions.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

function testFilesOf(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return entry.endsWith('.test.ts') ? [entry] : [];
  return fs.readdirSync(full, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts'));
}

describe('test/node-versions.txt', () => {
  it('lists some tests, and every entry names a test file or a folder of them', () => {
    expect(entries().length).toBeGreaterThan(5);
    const empty = entries().filter((entry) => testFilesOf(entry).length === 0);
    expect(empty).toEqual([]);
  });

  it('is what .ci/run runs on Node 24, with the same comment syntax', () => {
    const run = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(run).toContain("sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' test/node-versions.txt");
    expect(run).toMatch(/npx vitest run .*"\$\{files24\[@\]\}"/);
  });
});
