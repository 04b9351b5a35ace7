import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * stormguard's version, from its package.json: found by walking up from this module, which sits at
 * `src/` when run from source and at `dist/src/` when built.
 */
export function version(): string {
  if (cached) return cached;
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'stormguard' && pkg.version) return (cached = pkg.version);
    } catch {
      // not at this level; try the next
    }
  }
  return (cached = 'unknown');
}
