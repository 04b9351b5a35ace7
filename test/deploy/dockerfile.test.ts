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

  it('installs only production dependencies in the final stage', () => {
    const runs = final.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /npm (ci|install)\b(?!.*--omit=dev)/.test(r))).toBe(false);
  });

  it('ships the compiled code, the CLI and the migrations', () => {
    const copies = final.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(expect.arrayContaining([expect.stringMatching(/--from=build \/app\/dist/), expect.stringMatching(/^bin /), expect.stringMatching(/^migrations /)]));
  });

  it('runs as a non-root user with the database on a volume', () => {
    const user = final.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(final.some((i) => i.keyword === 'VOLUME' && i.args.includes('/data'))).toBe(true);
  });

  it('starts `stormguard run`', () => {
    const entrypoint = final.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '';
    const cmd = final.find((i) => i.keyword === 'CMD')?.args ?? '';
    expect(JSON.parse(entrypoint)).toEqual(['node', 'bin/stormguard.js']);
    expect(JSON.parse(cmd)[0]).toBe('run');
    expect(fs.readFileSync(path.join(ROOT, 'bin/stormguard.js'), 'utf8')).toContain('dist/src/bin.js');
  });

  it('bakes no secrets into the image', () => {
    for (const i of instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
      expect(i.args).not.toMatch(/TOKEN|PASS|SECRET|KEY/i);
    }
  });
});
