#!/usr/bin/env node
// Prints the CHANGELOG.md section of one version (without its heading): the GitHub release's notes.
// Usage: node scripts/changelog-section.mjs 0.1.0 [CHANGELOG.md]. Exits 1 when the version has no
// section or an empty one, so a release is never published without notes.
import { readFileSync } from 'node:fs';

/** The body of the `## [version]` (or `## version`) section of a Keep a Changelog file, trimmed. */
export function changelogSection(text, version) {
  const lines = text.split('\n');
  const heading = (line) => /^## /.test(line);
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const start = lines.findIndex((line) => new RegExp(`^## \\[?v?${escaped}\\]?(\\s|$)`).test(line));
  if (start === -1) return null;
  const end = lines.findIndex((line, i) => i > start && heading(line));
  const body = lines.slice(start + 1, end === -1 ? undefined : end).join('\n').trim();
  return body === '' ? null : body;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [version, file = 'CHANGELOG.md'] = process.argv.slice(2);
  if (!version) {
    console.error('usage: changelog-section.mjs VERSION [CHANGELOG.md]');
    process.exit(2);
  }
  const section = changelogSection(readFileSync(file, 'utf8'), version);
  if (section === null) {
    console.error(`${file} has no (or an empty) section for ${version}`);
    process.exit(1);
  }
  console.log(section);
}
