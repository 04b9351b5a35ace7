/**
 * Secrets as people really provide them (issue 21, items 6 and 7): a value written with `echo` ends
 * in a newline, defaults nest, and nothing a configuration error or `check-config` prints repeats a
 * secret, a URL's password included.
 */
import { describe, expect, it } from 'vitest';
import { errorOf, writeConfig } from '../helpers/configFiles.js';
import { ConfigError, formatConfig, interpolateEnv, loadConfig, validateConfig, type ConfigNotice } from '../../src/config/index.js';
import { redactSecretPath, redactUserinfo, splitUserinfo } from '../../src/config/urls.js';


const DISCORD = 'discord:\n  token: ${DISCORD_TOKEN}\n  guildId: "123456789012345678"\n  channelId: "123456789012345679"\n';

describe('a secret ending in a newline', () => {
  it('loses one trailing newline (\\n or \\r\\n), and the loader says so once, naming the variables, never the values', () => {
    const path = writeConfig(`${DISCORD}alertmanager:\n  receiver: { bearerToken: "\${AM_TOKEN}" }\ntargets: []\n`);
    const notices: ConfigNotice[] = [];
    const config = loadConfig({ path, env: { DISCORD_TOKEN: 'MTIz.sekr1t\n', AM_TOKEN: 'am-sekr1t\r\n' }, onNotice: (n) => notices.push(n) });
    expect(config.discord?.token).toBe('MTIz.sekr1t');
    expect(config.alertmanager?.receiver).toEqual({ bearerToken: 'am-sekr1t' });
    expect(notices).toHaveLength(1);
    expect(notices[0]!.variables).toEqual(['AM_TOKEN', 'DISCORD_TOKEN']);
    expect(notices[0]!.message).toContain('AM_TOKEN, DISCORD_TOKEN');
    expect(notices[0]!.message).not.toContain('sekr1t');
  });

  it('loses only one newline, and a value without one is untouched and says nothing', () => {
    const notices: ConfigNotice[] = [];
    const path = writeConfig(`${DISCORD}targets: []\n`);
    expect(loadConfig({ path, env: { DISCORD_TOKEN: 'two\n\n' }, onNotice: (n) => notices.push(n) }).discord?.token).toBe('two\n');
    expect(loadConfig({ path, env: { DISCORD_TOKEN: 'plain' }, onNotice: (n) => notices.push(n) }).discord?.token).toBe('plain');
    expect(notices.map((n) => n.variables)).toEqual([['DISCORD_TOKEN']]);
  });

  it('is trimmed inside a longer value too (a heartbeat URL built from a UUID)', () => {
    expect(interpolateEnv({ url: 'https://hc-ping.com/${HC_UUID}' }, { HC_UUID: 'abc\n' })).toEqual({ url: 'https://hc-ping.com/abc' });
  });
});

describe('nested defaults', () => {
  it('${A:-${B}} reads B when A is unset or empty, and A when it is set', () => {
    expect(interpolateEnv({ t: '${A:-${B}}' }, { B: 'token' })).toEqual({ t: 'token' });
    expect(interpolateEnv({ t: '${A:-${B}}' }, { A: '', B: 'token' })).toEqual({ t: 'token' });
    expect(interpolateEnv({ t: '${A:-${B}}' }, { A: 'first', B: 'token' })).toEqual({ t: 'first' });
    expect(interpolateEnv({ t: 'x-${A:-${B:-deep}-y}-z' }, {})).toEqual({ t: 'x-deep-y-z' });
  });

  it('only a default that is used must have its variables set, as in a shell', () => {
    expect(interpolateEnv({ t: '${A:-${UNSET}}' }, { A: 'a' })).toEqual({ t: 'a' });
    expect(errorOf(() => interpolateEnv({ discord: { token: '${A:-${UNSET}}' } }, {})).message).toBe(
      'config error: discord.token: environment variable UNSET is not set',
    );
  });

  it('a nested whole reference still converts to the number its field needs', () => {
    const config = validateConfig(
      { http: interpolateEnv({ port: '${PORT:-${FALLBACK_PORT}}' }, { FALLBACK_PORT: '9999' }), targets: [] },
      'inline',
      new Set(['http.port']),
    );
    expect(config.http.port).toBe(9999);
  });

  it('an unclosed "${" is refused with the field named and nothing of the value repeated', () => {
    const error = errorOf(() => interpolateEnv({ notify: { ntfy: { token: 'sekr1t-${A:-${B}' } } }, { B: 'b' }));
    expect(error.message).toBe('config error: notify.ntfy.token: holds a "${" without its closing "}"; write "$${" for a literal "${"');
  });
});

describe('values are never echoed in configuration errors', () => {
  it.each([
    ['reopenWindow', 'reopenWindow: "hunter2-sekr1t-value"'],
    ['notify.escalateAfter', 'notify: { escalateAfter: "hunter2-sekr1t-value" }'],
    ['reopenWindow', 'reopenWindow: "90"'],
    ['database.path', 'database: { path: "${hunter2 sekr1t}" }'],
  ])('%s', (field, line) => {
    const error = errorOf(() => loadConfig({ path: writeConfig(`${line}\ntargets: []\n`), env: {} }));
    expect(error.message).toMatch(new RegExp(`^config error: ${field.replace('.', '\\.')}: `));
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('sekr1t');
    expect(error.message).not.toContain('90m');
  });
});

describe('URLs with user:password@', () => {
  const base = { targets: [] as unknown[] };

  it('are refused where they would be shown to people (link buttons) or not sent (discord.apiUrl)', () => {
    const link = errorOf(() =>
      validateConfig({ targets: [{ name: 'a', namespace: 'x', workload: { kind: 'Deployment', name: 'a' }, links: [{ label: 'Grafana', url: 'https://admin:sekr1t@grafana.lan/' }] }] }, 'inline'),
    );
    expect(link.message).toBe('config error: targets[0].links[0].url: must not contain user:password@ (it would be shown or not sent)');
    const api = errorOf(() => validateConfig({ ...base, discord: { token: 't', guildId: '123456789012345678', channelId: '123456789012345679', apiUrl: 'https://u:sekr1t@discord.example/api' } }, 'inline'));
    expect(api.message).toContain('config error: discord.apiUrl: must not contain user:password@');
    expect(api.message).not.toContain('sekr1t');
  });

  it('are accepted for Alertmanager, ntfy, the heartbeat and probes, and check-config masks every password', () => {
    const config = validateConfig(
      {
        targets: [{ name: 'a', namespace: 'x', workload: { kind: 'Deployment', name: 'a' }, probe: { http: { url: 'http://probe:sekr1t-probe@a.lan/health' } } }],
        notify: { ntfy: { url: 'https://bot:sekr1t-ntfy@ntfy.lan', topic: 't' } },
        heartbeat: { url: 'https://hb:sekr1t-hb@kuma.lan/api/push/sekr1t-path' },
        alertmanager: { receiver: { bearerToken: 'x' }, url: 'http://am:sekr1t-am@alertmanager.lan:9093/' },
      },
      'inline',
    );
    const shown = formatConfig(config);
    expect(shown).not.toContain('sekr1t');
    expect(shown).toContain('http://am:********@alertmanager.lan:9093');
    expect(shown).toContain('https://kuma.lan/********');
  });
});

describe('the URL helper', () => {
  it('splits userinfo into a Basic header (percent-decoded) and leaves the rest of the URL alone', () => {
    expect(splitUserinfo('https://us%40er:p%3Ass@host:8443/p/a?q=1')).toEqual({
      url: 'https://host:8443/p/a?q=1',
      authorization: `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`,
    });
    expect(splitUserinfo('https://host/p')).toEqual({ url: 'https://host/p', authorization: null });
  });

  it('masks userinfo in any text, and a secret path where it is one', () => {
    expect(redactUserinfo('Request cannot be constructed from a URL that includes credentials: http://u:sekr1t@h:9/x')).toBe(
      'Request cannot be constructed from a URL that includes credentials: http://********@h:9/x',
    );
    expect(redactSecretPath('GET http://h/ping/sekr1t-uuid?x=1 failed', 'http://h/ping/sekr1t-uuid?x=1')).toBe('GET http://h/******** failed');
  });
});
