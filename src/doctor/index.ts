/**
 * `stormguard doctor`: checks the setup online — Discord, Kubernetes, email, ntfy, heartbeat — and
 * prints a checklist with the fix for every failure. Read-only unless `--send-test`.
 */
import type { Config } from '../config/types.js';
import { leaseOptionsFromEnv } from '../runtime/lease.js';
import { exitStatus, formatChecklist, warn, type Section } from './checklist.js';
import { checkKubernetes } from './kube.js';
import { checkEmail, checkHeartbeat, checkNtfy, heartbeatDialect } from './notify.js';
import { checkWatchdog } from './watchdog.js';

export { formatChecklist, exitStatus, type Check, type Section } from './checklist.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** Post a quiet test message in Discord, send a test mail and ping the heartbeat. */
  sendTest: boolean;
  now?: () => number;
  /** Bound on each network step (default 10s; the Discord login gets twice that). */
  timeoutMs?: number;
}

/** Runs every check and returns the sections, in the order they are printed. */
export async function diagnose(options: DoctorOptions): Promise<Section[]> {
  const { config, env, sendTest } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const leaseNamespace = env.STORMGUARD_LEASE === 'off' ? null : leaseOptionsFromEnv(env).namespace;

  const discord = (async (): Promise<Section> => {
    if (!config.discord) return { name: 'Discord', checks: [warn('no discord section: stormguard only logs what it would post')] };
    // Loaded on demand, like `register-commands`: the checks of a Discord-less setup need no discord.js.
    const [{ checkDiscord }, { COMMANDS }] = await Promise.all([import('./discord.js'), import('../../commands/index.js')]);
    const commandDefinitions = [...COMMANDS.values()].map((c) => c.definition);
    return { name: 'Discord', checks: await checkDiscord(config.discord, { commandDefinitions, sendTest, now: now(), timeoutMs: timeoutMs * 2 }) };
  })();
  const kube = (async (): Promise<Section> => ({ name: 'Kubernetes', checks: await checkKubernetes(config, { env, leaseNamespace, timeoutMs }) }))();
  const notify = (async (): Promise<Section | null> => {
    const { email, ntfy } = config.notify;
    const checks = [
      ...(email ? await checkEmail(email, { sendTest, now: now(), timeoutMs }) : []),
      ...(ntfy ? [await checkNtfy(ntfy, timeoutMs)] : []),
      ...(config.heartbeat ? [heartbeatDialect(config.heartbeat), await checkHeartbeat(config.heartbeat, { sendTest, timeoutMs })] : []),
    ];
    return checks.length > 0 ? { name: 'Email, push and heartbeat', checks } : null;
  })();
  const watchdog = checkWatchdog(config, now());
  const alertmanager: Section | null = watchdog ? { name: 'Alertmanager', checks: [watchdog] } : null;
  // Independent of one another: run side by side, print in a fixed order.
  const sections = [...(await Promise.all([discord, kube, notify])), alertmanager];
  return sections.filter((s): s is Section => s !== null);
}

/** Runs the doctor, writes the checklist to `out`, and returns the exit status (0 only when nothing failed). */
export async function runDoctor(options: DoctorOptions, out: NodeJS.WritableStream): Promise<number> {
  const sections = await diagnose(options);
  out.write(formatChecklist(sections));
  return exitStatus(sections);
}
