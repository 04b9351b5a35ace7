// The stored baseline of the mutation stage (test/mutation/): `prepare` puts it where Stryker's
// incremental mode reads it, or leaves none so the run is full; `save` stores the result of a full run.
//
// Stryker reuses a mutant's result when its code and the tests that killed (or covered) it are unchanged.
// It cannot see the files those tests and the core load besides (test/core's fixtures and helpers),
// nor the runner, its configuration or its versions: when any of those differ from the baseline's, the run
// is full. Every mutant of a core file that changed is re-tested, not only those on changed lines: an edit
// elsewhere in the file can change what a mutant does. Mutants that timed out are always re-tested.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Gzipped: 4 MB of JSON (sources, tests, the coverage matrix) is 0.25 MB. */
const BASELINE = 'test/mutation/stryker-incremental.json.gz';
const INPUTS = 'test/mutation/inputs.json';
const CONFIG_FILES = ['stryker.config.json', 'vitest.core.config.ts', 'tsconfig.json'];
const PACKAGES = ['vitest', '@stryker-mutator/core', '@stryker-mutator/vitest-runner'];

const read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');
/** Where Stryker reads and writes the incremental report. */
const INCREMENTAL = JSON.parse(read('stryker.config.json')).incrementalFile;
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const isMutated = (file) => file.startsWith('src/core/');
const isTest = (file) => /\.test\.ts$/.test(file);

function filesUnder(dir, keep) {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true })
    .map((f) => path.posix.join(dir, String(f).split(path.sep).join('/')))
    .filter(keep)
    .sort();
}

/**
 * Every file the core and its tests load that Stryker does not diff: relative imports, followed. Type-only
 * imports (`import type`, `export type`) are erased before anything runs, so they load nothing.
 */
function unseenInputs() {
  const start = [...filesUnder('src/core', (f) => f.endsWith('.ts')), ...filesUnder('test/core', isTest)];
  const seen = new Set(start);
  const loads = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?from\s*'(\.{1,2}\/[^']+)'|(?:^|\n)\s*import\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;
  for (const file of seen) {
    for (const match of read(file).matchAll(loads)) {
      const spec = match[1] ?? match[2] ?? match[3];
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (fs.existsSync(path.join(ROOT, resolved))) seen.add(resolved);
    }
  }
  return [...seen].filter((f) => !isMutated(f) && !isTest(f)).sort();
}

function currentInputs() {
  const files = Object.fromEntries([...CONFIG_FILES, ...unseenInputs()].map((f) => [f, sha256(read(f))]));
  const versions = Object.fromEntries(PACKAGES.map((p) => [p, JSON.parse(read(`node_modules/${p}/package.json`)).version]));
  return { node: process.versions.node.split('.')[0], versions, files };
}

/** Why the stored inputs do not match today's, or null when they do. */
function differs(stored, now) {
  if (stored.node !== now.node) return `Node ${stored.node} → ${now.node}`;
  for (const p of PACKAGES) if (stored.versions[p] !== now.versions[p]) return `${p} ${stored.versions[p]} → ${now.versions[p]}`;
  for (const f of new Set([...Object.keys(stored.files), ...Object.keys(now.files)])) {
    if (stored.files[f] !== now.files[f]) return `${f} changed`;
  }
  return null;
}

function prepare() {
  fs.rmSync(path.join(ROOT, INCREMENTAL), { force: true });
  if (!fs.existsSync(path.join(ROOT, BASELINE)) || !fs.existsSync(path.join(ROOT, INPUTS))) {
    console.log(`mutation: full run (no baseline in ${BASELINE})`);
    return;
  }
  const why = differs(JSON.parse(read(INPUTS)), currentInputs());
  if (why) {
    console.log(`mutation: full run (${why} since the baseline)`);
    return;
  }
  const report = JSON.parse(gunzipSync(fs.readFileSync(path.join(ROOT, BASELINE))).toString('utf8'));
  const changed = Object.keys(report.files).filter((f) => !fs.existsSync(path.join(ROOT, f)) || read(f) !== report.files[f].source);
  for (const f of changed) delete report.files[f];
  // A timeout depends on the machine's load as much as on the mutant: on a busy machine 42 of 43 were
  // killed or survived when tested again. Never reuse one.
  let timeouts = 0;
  for (const file of Object.values(report.files)) {
    timeouts += file.mutants.filter((m) => m.status === 'Timeout').length;
    file.mutants = file.mutants.filter((m) => m.status !== 'Timeout');
  }
  fs.mkdirSync(path.dirname(path.join(ROOT, INCREMENTAL)), { recursive: true });
  fs.writeFileSync(path.join(ROOT, INCREMENTAL), JSON.stringify(report));
  console.log(`mutation: incremental; every mutant re-tested in ${changed.length} core file(s) changed since the baseline${changed.length ? ` (${changed.join(', ')})` : ''}, and the ${timeouts} that timed out`);
}

function save() {
  const report = JSON.parse(read(INCREMENTAL));
  fs.mkdirSync(path.dirname(path.join(ROOT, BASELINE)), { recursive: true });
  fs.writeFileSync(path.join(ROOT, BASELINE), gzipSync(JSON.stringify(report), { level: 9 }));
  fs.writeFileSync(path.join(ROOT, INPUTS), `${JSON.stringify(currentInputs(), null, 2)}\n`);
  console.log(`stored ${BASELINE} and ${INPUTS}`);
}

const command = process.argv[2];
if (command === 'prepare') prepare();
else if (command === 'save') save();
else {
  console.error('usage: node .ci/mutation-baseline.mjs prepare|save');
  process.exit(2);
}
