/**
 * Alertmanager's Watchdog as a dead man's switch (issue 24 item 2, SPEC §14), through a real
 * Alertmanager: its notifications never make a card; when they stop for `within` (the test clock
 * advances; Alertmanager itself is stopped) ONE incident opens and rings once, whatever stormguard
 * restarts or cycles in between; when Alertmanager sends it again, the incident resolves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WATCHDOG_SUBJECT } from '../../src/core/watchdog.js';
import { WATCHDOG_LAST_SEEN } from '../../src/runtime/watchdog.js';
import { startAlertmanager } from '../helpers/alertmanager.js';
import { ALERT_POLL as POLL, closeAlertWorldChecked, startAlertWorld, WEBHOOK_TOKEN, type AlertWorld } from '../helpers/alertWorld.js';
import { TestClock } from '../helpers/engine.js';
import { roleRings, topLevel } from '../helpers/world.js';

let world: AlertWorld | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeAlertWorldChecked(w);
});

/** How many Watchdog notifications stormguard took, scraped from its /metrics. */
async function watchdogsHeard(w: AlertWorld): Promise<number> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  return Number(/^stormguard_alertmanager_notifications_total\{outcome="watchdog"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

const WATCHDOG = { labels: { alertname: 'Watchdog', severity: 'none' }, annotations: { summary: 'the alerting pipeline works' } };
const MINUTE = 60_000;

describe('the Watchdog through a real Alertmanager', () => {
  it('never makes a card; silent for `within` is one incident ringing once (across a restart); heard again resolves it', async () => {
    const clock = new TestClock();
    // Alertmanager repeats the Watchdog every few seconds, as the README's route does every minute.
    world = await startAlertWorld({ repeatInterval: '2s', clock: clock.now, config: { alertmanager: { receiver: { bearerToken: WEBHOOK_TOKEN }, watchdog: { alertname: 'Watchdog', within: '10m' } } } });
    const w = world;
    const cycles = () => w.service.app()!.cycles;
    const watchdogIncidents = () => w.service.store.recentIncidents(0).filter((i) => i.subject === WATCHDOG_SUBJECT);

    // stormguard began waiting at 20:00 (its first cycle); Alertmanager sends the Watchdog from 20:03.
    clock.advance(3 * MINUTE);
    await w.am.postAlerts([WATCHDOG]);
    await expect.poll(() => watchdogsHeard(w), POLL).toBeGreaterThanOrEqual(2);
    const heardAt = clock.now();
    expect(Number(w.service.store.getMeta(WATCHDOG_LAST_SEEN))).toBe(heardAt);
    await cycles().tick();
    expect(topLevel(w)).toEqual([]);
    expect(w.service.store.recentIncidents(0)).toEqual([]);

    // Alertmanager dies; stormguard is redeployed meanwhile: the last time it was heard survives.
    await w.am.stop();
    clock.advance(5 * MINUTE);
    await w.restartBot();
    await cycles().tick();
    expect(watchdogIncidents()).toEqual([]);

    // 20:11: eleven minutes of waiting, but only eight since it was heard: nothing yet.
    clock.advance(3 * MINUTE);
    await cycles().tick();
    expect(watchdogIncidents()).toEqual([]);

    // 20:13, nothing for 10 minutes: one incident, which rings once.
    clock.advance(2 * MINUTE);
    await cycles().tick();
    const [incident] = watchdogIncidents();
    expect(incident).toMatchObject({ state: 'open', cause: 'no Watchdog from Alertmanager since 20:03 — the alerting pipeline is silent' });
    await expect.poll(() => topLevel(w).length, POLL).toBe(1);
    await expect.poll(() => roleRings(w), POLL).toBe(1);
    expect(JSON.stringify(topLevel(w)[0]!.embeds)).toContain('no Watchdog from Alertmanager since 20:03 — the alerting pipeline is silent');
    for (let i = 0; i < 3; i++) {
      clock.advance(MINUTE);
      await cycles().tick();
    }
    expect(watchdogIncidents()).toHaveLength(1);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);

    // Alertmanager is back and sends the Watchdog again: the next cycle resolves the incident.
    const heardBefore = await watchdogsHeard(w);
    w.am = await startAlertmanager({ webhookUrl: `${w.url}/alertmanager`, bearerToken: WEBHOOK_TOKEN, repeatInterval: '2s' });
    await w.am.postAlerts([WATCHDOG]);
    await expect.poll(() => watchdogsHeard(w), POLL).toBeGreaterThan(heardBefore);
    clock.advance(30_000);
    await cycles().tick();
    expect(watchdogIncidents()).toMatchObject([{ state: 'resolved' }]);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
  }, 90_000);
});
