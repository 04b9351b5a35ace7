import { describe, expect, it } from 'vitest';
import { formatConfig, loadConfig } from '../../src/config/index.js';
import { errorOf, writeConfig } from '../helpers/configFiles.js';

const TARGET = 'targets:\n  - { name: web, namespace: default, workload: { kind: Deployment, name: web } }\n';

describe('timeZone (the local times of incident exports)', () => {
  it('takes an IANA zone, shown by check-config, and defaults to UTC', () => {
    const config = loadConfig({ path: writeConfig(`timeZone: Europe/Berlin\n${TARGET}`), env: {} });
    expect(config.timeZone).toBe('Europe/Berlin');
    expect(formatConfig(config)).toContain('timeZone: Europe/Berlin');
    expect(loadConfig({ path: writeConfig(TARGET), env: {} }).timeZone).toBe('UTC');
  });

  it('refuses a zone Intl does not know, naming the key', () => {
    const error = errorOf(() => loadConfig({ path: writeConfig(`timeZone: Mars/Olympus_Mons\n${TARGET}`), env: {} }));
    expect(error.message).toContain('timeZone: must be an IANA time zone such as Europe/Berlin or UTC');
  });
});
