import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const BAD_DIR = join(import.meta.dirname, '../fixtures/config/bad');
const SECRET_TOKEN = 'sekr1t-discord-token-value';
const env = {
  DISCORD_TOKEN: SECRET_TOKEN,
  SMTP_USER: 'stormguard',
  SMTP_PASS: 'sekr1t-smtp-pass',
  NTFY_TOKEN: 'sekr1t-ntfy-token',
  HC_UUID: 'sekr1t-uuid',
};
// Values written into fixtures where a secret belongs; they must not come back in a message either.
const SECRET_LITERALS = [SECRET_TOKEN, 'sekr1t', '987654321'];

/** Each fixture names the error it must produce in its first line: `# expect: <substring>`. */
function expectationOf(file: string): string {
  const firstLine = readFileSync(file, 'utf8').split('\n')[0] ?? '';
  const match = /^# expect: (.+)$/.exec(firstLine);
  if (!match?.[1]) throw new Error(`${file}: first line must be "# expect: <substring>"`);
  return match[1];
}

function loadError(path: string): ConfigError {
  try {
    loadConfig({ path, env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${path} loaded without an error`);
}

const fixtures = readdirSync(BAD_DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

describe('malformed configuration files', () => {
  it('has at least 30 fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('%s is refused with a readable error', (name) => {
    const path = join(BAD_DIR, name);
    const error = loadError(path);
    const lines = error.message.split('\n');

    expect(error.message.startsWith('config error: ')).toBe(true);
    expect(lines[0]).toContain(expectationOf(path));
    expect(lines.length).toBeLessThanOrEqual(3);
    for (const line of lines) expect(line.startsWith('config error: ')).toBe(true);
    expect(error.message).not.toContain('    at ');
    for (const secret of SECRET_LITERALS) expect(error.message).not.toContain(secret);
  });
});

describe('file errors', () => {
  it('names a missing file', () => {
    const error = loadError('/nonexistent/stormguard.yaml');
    expect(error.message).toBe(
      'config error: cannot read /nonexistent/stormguard.yaml: no such file; name the configuration with --config PATH (or $STORMGUARD_CONFIG), e.g. --config deploy/stormguard.yaml, the example to start from',
    );
  });

  it('names a directory given as the file', () => {
    expect(loadError(BAD_DIR).message).toBe(`config error: cannot read ${BAD_DIR}: it is a directory, not a file`);
  });
});
