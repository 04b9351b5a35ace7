/**
 * The layout is the architecture (STYLE.md): the core is pure, adapters do I/O for the shell and never
 * reach into it. This test reads every import and fails on the first that crosses a line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return found.map((m) => m[1] ?? m[2]!);
}

/** Where a relative specifier points, relative to the repository root. */
function target(file: string, spec: string): string {
  return spec.startsWith('.') ? path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec)) : spec;
}

describe('architecture', () => {
  it('reads imports at all (the rules below would pass on nothing)', () => {
    expect(importsOf('src/runtime/app/store.ts')).toContain('../../adapters/sqlite/store.js');
    expect(sources('src/core').length).toBeGreaterThan(10);
  });

  it('keeps src/core pure: no node:, no I/O library, nothing outside the core but configuration types', () => {
    const crossing = sources('src/core').flatMap((file) =>
      importsOf(file)
        .map((spec) => ({ file, spec, to: target(file, spec) }))
        .filter(({ spec, to }) => !(spec.startsWith('.') && (to.startsWith('src/core/') || to === 'src/config/types.js'))),
    );
    expect(crossing).toEqual([]);
  });

  it('keeps adapters out of the shell: nothing in src/adapters imports src/runtime', () => {
    const crossing = sources('src/adapters').flatMap((file) =>
      importsOf(file)
        .map((spec) => ({ file, spec, to: target(file, spec) }))
        .filter(({ to }) => to.startsWith('src/runtime/') || to.startsWith('commands/')),
    );
    expect(crossing).toEqual([]);
  });

  it('fences the simulators: src/sim imports nothing of stormguard (a shared parser would agree with its bug)', () => {
    const crossing = sources('src/sim').flatMap((file) =>
      importsOf(file)
        .map((spec) => ({ file, spec, to: target(file, spec) }))
        .filter(({ spec, to }) => spec.startsWith('.') && !to.startsWith('src/sim/')),
    );
    expect(crossing).toEqual([]);
  });

  it('only the demo, the tests and the benchmark import the simulators', () => {
    const shipped = [...sources('src'), ...sources('commands'), ...sources('scripts')].filter((f) => !f.startsWith('src/sim/') && !f.startsWith('src/demo/'));
    const crossing = shipped.flatMap((file) =>
      importsOf(file)
        .map((spec) => ({ file, spec, to: target(file, spec) }))
        .filter(({ to }) => to.startsWith('src/sim/')),
    );
    expect(crossing).toEqual([]);
    // The rule reads real imports: the demo does import them.
    expect(sources('src/demo').some((file) => importsOf(file).some((spec) => target(file, spec).startsWith('src/sim/')))).toBe(true);
  });

  it('keeps the interaction router under its contract: src/runtime/interactions never imports commands/', () => {
    const crossing = sources('src/runtime/interactions').flatMap((file) =>
      importsOf(file)
        .map((spec) => ({ file, spec, to: target(file, spec) }))
        .filter(({ to }) => to.startsWith('commands/')),
    );
    expect(crossing).toEqual([]);
  });
});
