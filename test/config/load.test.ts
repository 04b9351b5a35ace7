import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { errorOf, writeConfig } from '../helpers/configFiles.js';
import type * as z from 'zod';
import {
  ConfigError,
  configSchema,
  formatConfig,
  interpolateEnv,
  loadConfig,
  MASK,
  resolveConfigPath,
  validateConfig,
  type Config,
} from '../../src/config/index.js';

const GOOD = join(import.meta.dirname, '../fixtures/config/good/frigate.yaml');
const env = {
  DISCORD_TOKEN: 'MTIz.sekr1t-discord-token',
  SMTP_USER: 'stormguard',
  SMTP_PASS: 'sekr1t-smtp-pass',
  NTFY_TOKEN: 'tk_sekr1t-ntfy',
  HC_UUID: '5f1c3a2e-sekr1t-uuid',
};
const SECRETS = [env.DISCORD_TOKEN, env.SMTP_PASS, env.NTFY_TOKEN, env.HC_UUID];

const MINUTE = 60_000;
const DEFAULT_RESTART = {
  maxPerHour: 3,
  backoff: [MINUTE, 5 * MINUTE, 15 * MINUTE],
  circuitBreakAfter: 3,
  nodeRecoveryGrace: 60_000,
  cooldown: 2 * MINUTE,
};


describe('the schema', () => {
  it('produces exactly the Config contract', () => {
    // Assignable both ways (toEqualTypeOf trips over the WorkloadRef union in expect-type).
    expectTypeOf<z.output<typeof configSchema>>().toExtend<Config>();
    expectTypeOf<Config>().toExtend<z.output<typeof configSchema>>();
  });
});

/** kured's own defaults (kubereboot/kured cmd/kured/main.go), what `maintenance.kured` defaults to. */
const KURED = { namespace: 'kube-system', daemonSet: 'kured', lockAnnotation: 'weave.works/kured-node-lock', rebootAnnotation: 'weave.works/kured-reboot-in-progress' };

describe('loadConfig', () => {
  it('loads the SPEC example with every value in place and durations in milliseconds', () => {
    const config = loadConfig({ path: GOOD, env });
    expect(config).toEqual<Config>({
      discord: {
        token: env.DISCORD_TOKEN,
        guildId: '123456789012345678',
        channelId: '123456789012345679',
        mentionRoleId: '123456789012345680',
        operatorRoleIds: ['123456789012345681'],
        apiUrl: 'https://discord.com/api',
      },
      kubernetes: { kubeconfig: '/path/to/kubeconfig', context: 'homelab', watchScope: 'auto' },
      database: { path: './data/stormguard.db' },
      schedule: '*/30 * * * * *',
      watchNodes: true,
      timeZone: 'UTC',
      targets: [
        {
          name: 'frigate',
          namespace: 'nvr',
          workload: { kind: 'Deployment', name: 'frigate' },
          probe: { http: { url: 'http://frigate.nvr.svc:5000/api/version', timeout: 5000, expectStatus: 200 } },
          failureThreshold: 2,
          successThreshold: 2,
          autoRestart: true,
          restart: DEFAULT_RESTART,
        },
        {
          name: 'mqtt',
          namespace: 'nvr',
          workload: { kind: 'Pods', selector: 'app=mosquitto' },
          probe: { tcp: { host: 'mosquitto.nvr.svc', port: 1883, timeout: 5000 } },
          failureThreshold: 2,
          successThreshold: 2,
          autoRestart: true,
          restart: DEFAULT_RESTART,
        },
      ],
      notify: {
        escalateAfter: 15 * MINUTE,
        email: {
          smtp: { host: 'smtp.example.com', port: 587, secure: false, user: 'stormguard', pass: env.SMTP_PASS },
          from: 'stormguard@example.com',
          to: ['oncall@example.com'],
          fallbackAfter: 2 * MINUTE,
        },
        ntfy: { url: 'https://ntfy.sh', topic: 'homelab-alerts', token: env.NTFY_TOKEN },
      },
      http: { port: 9464 },
      heartbeat: { url: `https://hc-ping.com/${env.HC_UUID}`, start: false },
      reopenWindow: 10 * MINUTE,
      retention: 180 * 24 * 60 * MINUTE,
      diagnosis: { logs: true },
      maintenance: { kured: KURED, settleAfter: 10 * MINUTE, overrunAfter: 45 * MINUTE, windows: [] },
    });
  });

  it.each(['auto', 'namespaces', 'cluster'] as const)('takes kubernetes.watchScope: %s', (watchScope) => {
    const path = writeConfig(`kubernetes: { watchScope: ${watchScope} }\ntargets:\n  - { name: web, namespace: default, workload: { kind: Deployment, name: web } }\n`);
    expect(loadConfig({ path, env: {} }).kubernetes).toEqual({ watchScope });
  });

  it('fills every default into a minimal file', () => {
    const path = writeConfig('targets:\n  - { name: web, namespace: default, workload: { kind: Deployment, name: web } }\n');
    expect(loadConfig({ path, env: {} })).toEqual<Config>({
      kubernetes: { watchScope: 'auto' },
      database: { path: './data/stormguard.db' },
      schedule: '*/30 * * * * *',
      watchNodes: true,
      timeZone: 'UTC',
      targets: [
        {
          name: 'web',
          namespace: 'default',
          workload: { kind: 'Deployment', name: 'web' },
          failureThreshold: 2,
          successThreshold: 2,
          autoRestart: true,
          restart: DEFAULT_RESTART,
        },
      ],
      notify: { escalateAfter: 15 * MINUTE },
      http: { port: 9464 },
      reopenWindow: 10 * MINUTE,
      retention: 180 * 24 * 60 * MINUTE,
      diagnosis: { logs: true },
      maintenance: { kured: KURED, settleAfter: 10 * MINUTE, overrunAfter: 45 * MINUTE, windows: [] },
    });
  });

  it('takes diagnosis.logs: false (no log excerpts, no pods/log access) and refuses anything but a boolean, naming the path', () => {
    const targets = 'targets:\n  - { name: web, namespace: default, workload: { kind: Deployment, name: web } }\n';
    expect(loadConfig({ path: writeConfig(`diagnosis: { logs: false }\n${targets}`), env: {} }).diagnosis).toEqual({ logs: false });
    expect(() => loadConfig({ path: writeConfig(`diagnosis: { logs: sometimes }\n${targets}`), env: {} })).toThrow(/diagnosis\.logs: must be true or false/);
    expect(() => loadConfig({ path: writeConfig(`diagnosis: { log: false }\n${targets}`), env: {} })).toThrow(/diagnosis/);
  });

  it('accepts an empty target list and leaves discord out when it is omitted', () => {
    const config = loadConfig({ path: writeConfig('targets: []\n'), env: {} });
    expect(config.targets).toEqual([]);
    expect(config.discord).toBeUndefined();
  });

  it('defaults each restart field on its own and each probe field on its own', () => {
    const config = validateConfig(
      {
        targets: [
          {
            name: 'a',
            namespace: 'x',
            workload: { kind: 'DaemonSet', name: 'a' },
            probe: { http: { url: 'https://a.example/health' } },
            restart: { maxPerHour: 1, cooldown: '30s' },
          },
        ],
        discord: { token: 't', guildId: '123456789012345678', channelId: '123456789012345679', apiUrl: 'http://127.0.0.1:9/api/' },
        notify: { email: { smtp: { host: 'mail' }, from: 'Stormguard <sg@example.com>', to: ['a@example.com'] } },
        http: { port: 0 },
      },
      'inline',
    );
    const [target] = config.targets;
    expect(target?.restart).toEqual({ ...DEFAULT_RESTART, maxPerHour: 1, cooldown: 30_000 });
    expect(target?.probe).toEqual({ http: { url: 'https://a.example/health', timeout: 5000, expectStatus: 200 } });
    expect(config.discord?.apiUrl).toBe('http://127.0.0.1:9/api');
    expect(config.discord?.operatorRoleIds).toEqual([]);
    expect(config.notify.email?.smtp).toEqual({ host: 'mail', port: 587, secure: false });
    expect(config.notify.email?.fallbackAfter).toBe(2 * MINUTE);
    expect(config.http.port).toBe(0);
  });

  it('reports several problems one per line, in file order where zod allows', () => {
    const path = writeConfig('schedule: nope\nreopenWindow: 0\ntargets: []\n');
    const error = errorOf(() => loadConfig({ path, env: {} }));
    expect(error.message.split('\n')).toEqual([
      'config error: schedule: not a valid cron expression (expected 5 or 6 fields but got 1)',
      'config error: reopenWindow: must be a duration string such as 30s, 5m, 1h30m or 2d',
    ]);
    expect(error.problems).toHaveLength(2);
  });

  it('takes maintenance.kured names for a kured run with other flags, and names a bad one', () => {
    const path = writeConfig('maintenance: { kured: { namespace: kured, lockAnnotation: example.com/reboot-lock } }\ntargets: []\n');
    expect(loadConfig({ path, env: {} }).maintenance.kured).toEqual({ ...KURED, namespace: 'kured', lockAnnotation: 'example.com/reboot-lock' });
    const bad = writeConfig('maintenance: { kured: { rebootAnnotation: "not a key/", daemonSet: Kured } }\ntargets: []\n');
    expect(errorOf(() => loadConfig({ path: bad, env: {} })).message.split('\n')).toEqual([
      'config error: maintenance.kured.daemonSet: must be a Kubernetes object name: lowercase letters, digits, "-" and "."',
      'config error: maintenance.kured.rebootAnnotation: must be an annotation key: [prefix/]name, e.g. weave.works/kured-node-lock',
    ]);
  });

  it('never echoes a bad token value', () => {
    const path = writeConfig('discord: { token: [hunter2], guildId: "1", channelId: "2" }\ntargets: []\n');
    const error = errorOf(() => loadConfig({ path, env: {} }));
    expect(error.message).toContain('config error: discord.token: expected text, got a list');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('interpolation', () => {
  it('replaces every ${VAR} in string values, anywhere in the tree', () => {
    const result = interpolateEnv(
      { a: 'x-${A}-${B}', list: ['${A}', 3, true, null], nested: { deep: ['${B}'] } },
      { A: 'one', B: 'two' },
    );
    expect(result).toEqual({ a: 'x-one-two', list: ['one', 3, true, null], nested: { deep: ['two'] } });
  });

  it('keeps $${X} as a literal ${X}, leaves keys alone and does not re-expand values', () => {
    expect(interpolateEnv({ '${A}': 'cost: $${A} and ${A}' }, { A: '${B}' })).toEqual({
      '${A}': 'cost: ${A} and ${B}',
    });
  });

  it('accepts a variable set to the empty string', () => {
    expect(interpolateEnv({ a: 'x${EMPTY}y' }, { EMPTY: '' })).toEqual({ a: 'xy' });
  });

  it('names the variable and where it was used, for every missing one', () => {
    const error = errorOf(() => interpolateEnv({ discord: { token: '${DISCORD_TOKEN}' }, list: ['${NOPE}'] }, {}));
    expect(error.message).toBe(
      'config error: discord.token: environment variable DISCORD_TOKEN is not set\n' +
        'config error: list[0]: environment variable NOPE is not set',
    );
  });
});

describe('resolveConfigPath', () => {
  it.each([
    ['/flag.yaml', { STORMGUARD_CONFIG: '/env.yaml' }, '/flag.yaml'],
    [undefined, { STORMGUARD_CONFIG: '/env.yaml' }, '/env.yaml'],
    [undefined, { STORMGUARD_CONFIG: '' }, './stormguard.yaml'],
    [undefined, {}, './stormguard.yaml'],
  ])('flag %j with env %j uses %s', (flag, environment, expected) => {
    expect(resolveConfigPath(flag, environment)).toBe(expected);
  });

  it('is what loadConfig reads when no path is given', () => {
    const path = writeConfig('targets: []\n');
    expect(loadConfig({ env: { STORMGUARD_CONFIG: path } }).targets).toEqual([]);
  });
});

describe('formatConfig', () => {
  const config = loadConfig({ path: GOOD, env });
  const text = formatConfig(config);

  it('masks every secret and never prints a secret value', () => {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const shown = parse(text);
    expect(shown.discord.token).toBe(MASK);
    expect(shown.notify.email.smtp.pass).toBe(MASK);
    expect(shown.notify.email.smtp.user).toBe('stormguard');
    expect(shown.notify.ntfy.token).toBe(MASK);
    expect(shown.heartbeat.url).toBe(`https://hc-ping.com/${MASK}`);
  });

  it('writes durations back as duration strings', () => {
    const shown = parse(text);
    expect(shown.reopenWindow).toBe('10m');
    expect(shown.notify.escalateAfter).toBe('15m');
    expect(shown.targets[0].probe.http.timeout).toBe('5s');
    expect(shown.targets[0].restart).toEqual({
      maxPerHour: 3,
      backoff: ['1m', '5m', '15m'],
      circuitBreakAfter: 3,
      nodeRecoveryGrace: '1m',
      cooldown: '2m',
    });
  });

  it('masks a password inside a URL', () => {
    const withCredentials: Config = {
      ...config,
      targets: [{ ...config.targets[0]!, probe: { http: { url: 'http://admin:pw-sekr1t@nas.lan:5000/x', timeout: 5000, expectStatus: 200 } } }],
    };
    const shown = formatConfig(withCredentials);
    expect(shown).not.toContain('pw-sekr1t');
    expect(shown).toContain(`http://admin:${MASK}@nas.lan:5000/x`);
  });

  it('round-trips a configuration without secrets', () => {
    const plain: Config = { ...config, discord: undefined, notify: { escalateAfter: 90_000 }, heartbeat: undefined };
    expect(validateConfig(parse(formatConfig(plain)), 'formatted')).toEqual(plain);
  });
});
