import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/index.js';

/** Writes `yaml` as a stormguard.yaml in a fresh temporary directory and returns its path. */
export function writeConfig(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'stormguard-config-')), 'stormguard.yaml');
  writeFileSync(path, yaml);
  return path;
}

/** The ConfigError `action` throws; fails the test when it throws nothing or something else. */
export function errorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
