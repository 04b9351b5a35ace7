import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [keyword, ...rest] = l.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
  });
const stages: Array<typeof instructions> = [];
for (const i of instructions) {
  if (i.keyword === 'FROM') stages.push([]);
  stages.at(-1)?.push(i);
}
const final = stages.at(-1)!;

// CI cannot build images here (no Docker engine), so this checks what the image must be made of.
describe('Dockerfile', () => {
  it('is multi-stage on Node 24 LTS (bookworm-slim)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]!.args).toMatch(/^node:24-bookworm-slim\b/);
  });

  it('builds once: the build stage runs npm ci, npm run build, then npm prune --omit=dev, and checks the Node 24 SQLite driver', () => {
    const build = stages[0]!;
    expect(build[0]!.args).toMatch(/\bAS build$/i);
    const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');
    const order = [/npm ci\b/, /npm run build\b/, /npm prune --omit=dev\b/, /require\('better-sqlite3-napi'\)/].map((step) => runs.search(step));
    expect(order.every((at) => at >= 0), `steps found at ${order.join(', ')}`).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Native addons must match the runtime's architecture: the build stage runs on the target platform.
    for (const stage of stages) expect(stage[0]!.args).not.toMatch(/--platform/);
  });

  it('installs nothing in the final stage: no package manager, no compiler, no second npm install', () => {
    const runs = final.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    for (const run of runs) {
      expect(run).not.toMatch(/\b(apt-get|apt|dpkg|npm|npx|yarn|pnpm|pip)\b/);
      expect(run).not.toMatch(/\b(python3?|make|g\+\+|gcc|build-essential)\b/);
    }
  });

  it('ships what the build stage produced: package.json, the pruned node_modules, the compiled code, the CLI, the migrations', () => {
    const copies = final.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const from of ['package.json', 'node_modules', 'dist']) {
      expect(copies, from).toContainEqual(expect.stringMatching(new RegExp(`^--from=build /app/${from} `)));
    }
    expect(copies).toContainEqual(expect.stringMatching(/^bin /));
    expect(copies).toContainEqual(expect.stringMatching(/^migrations /));
    // Nothing else from the context: no sources, no lockfile for a second install.
    expect(copies.filter((c) => /^(src|commands|package-lock\.json|\.)\b/.test(c))).toEqual([]);
  });

  it('runs as a non-root user with the database on a volume', () => {
    const user = final.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(final.some((i) => i.keyword === 'VOLUME' && i.args.includes('/data'))).toBe(true);
  });

  it('starts `stormguard run` with node as PID 1 (no init: stormguard handles SIGTERM itself)', () => {
    const entrypoint = final.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '';
    const cmd = final.find((i) => i.keyword === 'CMD')?.args ?? '';
    const [node, ...rest] = JSON.parse(entrypoint) as string[];
    expect(node).toBe('node');
    // V8's memory flags, then the CLI.
    expect(rest.at(-1)).toBe('bin/stormguard.js');
    expect(rest.slice(0, -1).every((flag) => flag.startsWith('--'))).toBe(true);
    expect(instructions.filter((i) => i.keyword === 'STOPSIGNAL')).toEqual([]);
    expect(JSON.parse(cmd)[0]).toBe('run');
    expect(fs.readFileSync(path.join(ROOT, 'bin/stormguard.js'), 'utf8')).toContain('dist/stormguard.js');
  });

  it('bakes no secrets into the image', () => {
    for (const i of instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
      expect(i.args).not.toMatch(/TOKEN|PASS|SECRET|KEY/i);
    }
  });
});
