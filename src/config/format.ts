/**
 * The effective configuration as YAML, for `stormguard check-config`: defaults filled in,
 * durations written back as people write them, secrets masked so the output can be pasted into
 * an issue or a chat.
 */
import { stringify } from 'yaml';
import { formatDuration } from '../core/duration.js';
import type { Config, Credentials, ProbeConfig, RestartPolicy, TargetConfig } from './types.js';
import { MASK, maskUrlPassword, maskUrlPath } from './urls.js';

export { MASK };

/** Renders `config` as YAML with durations as strings (`5m`) and secrets (tokens, passwords, the heartbeat URL's path, URL passwords) masked. */
export function formatConfig(config: Config): string {
  const { discord, notify } = config;
  const shape = {
    discord: discord && {
      ...discord,
      token: MASK,
      apiUrl: maskUrlPassword(discord.apiUrl),
    },
    kubernetes: config.kubernetes,
    database: config.database,
    schedule: config.schedule,
    watchNodes: config.watchNodes,
    targets: config.targets.map(formatTarget),
    notify: {
      escalateAfter: formatDuration(notify.escalateAfter),
      email: notify.email && {
        ...notify.email,
        smtp: { ...notify.email.smtp, pass: maskIfSet(notify.email.smtp.pass) },
        fallbackAfter: formatDuration(notify.email.fallbackAfter),
      },
      ntfy: notify.ntfy && {
        ...notify.ntfy,
        url: maskUrlPassword(notify.ntfy.url),
        token: maskIfSet(notify.ntfy.token),
      },
    },
    http: config.http,
    heartbeat: config.heartbeat && { ...config.heartbeat, url: maskUrlPath(config.heartbeat.url), token: maskIfSet(config.heartbeat.token) },
    reopenWindow: formatDuration(config.reopenWindow),
    retention: formatDuration(config.retention),
    alertmanager: config.alertmanager && {
      ...config.alertmanager,
      receiver: maskCredentials(config.alertmanager.receiver),
      url: config.alertmanager.url && maskUrlPassword(config.alertmanager.url),
      api: config.alertmanager.api && maskCredentials(config.alertmanager.api),
      watchdog: config.alertmanager.watchdog && { ...config.alertmanager.watchdog, within: formatDuration(config.alertmanager.watchdog.within) },
    },
  };
  // yaml leaves out keys whose value is undefined, so optional sections simply do not appear.
  return stringify(shape, { lineWidth: 0 });
}

function maskCredentials(credentials: Credentials): Credentials {
  return 'bearerToken' in credentials ? { bearerToken: MASK } : { username: credentials.username, password: MASK };
}

function formatTarget(target: TargetConfig) {
  return {
    ...target,
    probe: target.probe && formatProbe(target.probe),
    restart: formatRestart(target.restart),
  };
}

function formatProbe(probe: ProbeConfig) {
  if ('http' in probe) {
    const { http } = probe;
    return { http: { ...http, url: maskUrlPassword(http.url), timeout: formatDuration(http.timeout) } };
  }
  return { tcp: { ...probe.tcp, timeout: formatDuration(probe.tcp.timeout) } };
}

function formatRestart(restart: RestartPolicy) {
  return {
    ...restart,
    backoff: restart.backoff.map(formatDuration),
    nodeRecoveryGrace: formatDuration(restart.nodeRecoveryGrace),
    cooldown: formatDuration(restart.cooldown),
  };
}

function maskIfSet(secret: string | undefined): string | undefined {
  return secret === undefined ? undefined : MASK;
}
