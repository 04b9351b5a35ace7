/**
 * Issue 21 item 1, end to end with a real Alertmanager: an Alertmanager incident that names a target
 * (kube-prometheus-stack's CPUThrottlingHigh carries `namespace` and `deployment`) never swallows that
 * target's own outage — whether the alert incident was acknowledged or silenced, the check failure opens
 * its own incident that rings, the automatic restart goes ahead, and no message shows the target healthy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessageView } from '../../src/sim/discord/index.js';
import { startAlertWorld, type AlertWorld, ALERT_POLL as POLL, closeAlertWorldChecked } from '../helpers/alertWorld.js';
import { answer, buttonId, IDS, OPERATOR, roleRings, topLevel } from '../helpers/world.js';

let world: AlertWorld | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeAlertWorldChecked(w);
});


/** The homelab's targets, with a node-recovery grace of a second: the simulator's nodes became Ready when it started. */
const TARGETS = [
  { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' }, restart: { nodeRecoveryGrace: '1s' } },
  { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' }, restart: { nodeRecoveryGrace: '1s' } },
];

const THROTTLING = {
  labels: { alertname: 'CPUThrottlingHigh', namespace: 'nvr', deployment: 'frigate', container: 'frigate', severity: 'info' },
  annotations: { summary: 'Processes experience elevated CPU throttling.' },
  generatorURL: 'http://prometheus.local:9090/graph?g0.expr=container_cpu_cfs_throttled_periods_total',
};

function targetsField(m: SimMessageView | undefined): string | undefined {
  return (m?.embeds[0] as { fields?: Array<{ name: string; value: string }> } | undefined)?.fields?.find((f) => f.name === 'Targets')?.value;
}

/** Opens the CPUThrottlingHigh incident naming frigate, then lets `cover` (an ack, a silence) act on it. */
async function alertIncidentThen(w: AlertWorld, cover: (message: SimMessageView) => Promise<void>): Promise<SimMessageView> {
  await w.service.app()!.cycles.tick();
  await w.am.postAlerts([THROTTLING]);
  await expect.poll(() => topLevel(w)[0]?.components.length ?? 0, POLL).toBe(1);
  const alertMessage = topLevel(w)[0]!;
  expect(w.service.store.openIncidents().map((i) => [i.kind, i.targets])).toEqual([['alert', ['frigate']]]);
  expect(roleRings(w)).toBe(1);
  await cover(alertMessage);
  return alertMessage;
}

/** frigate's pods stop being Ready (a restart heals them); two cycles confirm it down. */
async function frigateFails(w: AlertWorld): Promise<void> {
  w.kube.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, false, { healAfterRestart: true });
  await expect
    .poll(async () => {
      await w.service.app()!.cycles.tick();
      return w.service.store.loadTargetStates().frigate?.health;
    }, POLL)
    .toBe('down');
}

async function expectOwnOutageRingsAndRestarts(w: AlertWorld, alertMessage: SimMessageView): Promise<void> {
  // Its own incident, with its own message whose content rings the role.
  await expect.poll(() => topLevel(w).length, POLL).toBe(2);
  const own = topLevel(w)[1]!;
  expect(own.content).toContain(`<@&${IDS.mentionRole}>`);
  expect(roleRings(w)).toBe(2);
  expect(w.service.store.openIncidents().map((i) => i.subject).sort()).toEqual([expect.stringMatching(/^alert:/), 'target:frigate']);
  // Neither message shows frigate healthy.
  await expect.poll(() => targetsField(topLevel(w)[1]), POLL).toMatch(/^🔴 frigate/);
  await expect.poll(() => targetsField(topLevel(w).find((m) => m.id === alertMessage.id)), POLL).toMatch(/^🔴 frigate/);
  // The alert's thread says, quietly, where the outage is followed.
  await expect
    .poll(() => (topLevel(w).find((m) => m.id === alertMessage.id)!.thread?.messages ?? []).map((m) => m.content), POLL)
    .toContainEqual(expect.stringMatching(/^frigate is down by stormguard's own checks \(.*\); followed in its own incident$/));
  // The automatic restart proceeds as it would without the alert: exactly one PATCH.
  await expect.poll(() => w.kube.restarts.map((r) => `${r.namespace}/${r.name}`), POLL).toEqual(['nvr/frigate']);
  expect((own.thread?.messages ?? []).some((m) => m.content.startsWith('Restarting frigate automatically'))).toBe(true);
}

describe('an Alertmanager incident naming a target never covers its own check failure', () => {
  it('acknowledged: frigate’s outage opens its own incident, which rings; the automatic restart goes ahead', async () => {
    world = await startAlertWorld({ config: { targets: TARGETS } });
    const w = world;
    const alertMessage = await alertIncidentThen(w, async (message) => {
      const acked = await w.discord.clickButton({ customId: buttonId(message, 'Acknowledge'), messageId: message.id, user: OPERATOR });
      expect(answer(acked)).toMatch(/^Acknowledged/);
    });
    await frigateFails(w);
    await expectOwnOutageRingsAndRestarts(w, alertMessage);
  });

  it('silenced: frigate’s outage still rings and is restarted; /status and the messages agree it is down', async () => {
    world = await startAlertWorld({ config: { targets: TARGETS } });
    const w = world;
    const alertMessage = await alertIncidentThen(w, async (message) => {
      const silenced = await w.discord.clickButton({ customId: buttonId(message, 'Silence 1h'), messageId: message.id, user: OPERATOR });
      expect(answer(silenced)).toMatch(/^Silenced/);
    });
    await frigateFails(w);
    await expectOwnOutageRingsAndRestarts(w, alertMessage);
    const status = answer(await w.discord.slashCommand({ name: 'status', options: { target: 'frigate' }, user: OPERATOR }));
    expect(status).toMatch(/^\*\*frigate\*\* 🔴/);
  });
});
