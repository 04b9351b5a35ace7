/**
 * Alertmanager's URL configured with `user:password@` (Alertmanager behind a proxy with basic auth),
 * against a real Alertmanager on loopback: a silence from Discord works, and the password appears in
 * no reply, no Discord message and no audit record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAlertWorld, type AlertWorld, ALERT_POLL as POLL, closeAlertWorldChecked } from '../helpers/alertWorld.js';
import { answer, IDS, OPERATOR, topLevel } from '../helpers/world.js';

const PASSWORD = 'sekr1t-am-pass';

let world: AlertWorld | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeAlertWorldChecked(w);
});

describe('alertmanager.url with user:password@', () => {
  it('the Silence 1h button silences in Alertmanager, and the password reaches no reply, message or audit record', async () => {
    world = await startAlertWorld({ alertmanagerUrl: (url) => url.replace('http://', `http://stormguard:${PASSWORD}@`) });
    const w = world;
    await w.am.postAlerts([{ labels: { alertname: 'CertExpiring', domain: 'home.example' }, annotations: { summary: 'certificate expires soon' } }]);
    await expect.poll(() => topLevel(w)[0]?.components.length ?? 0, POLL).toBe(1);
    const message = topLevel(w)[0]!;
    const rows = message.components as Array<{ components: Array<{ custom_id: string; label: string }> }>;
    const click = await w.discord.clickButton({ customId: rows[0]!.components.find((c) => c.label === 'Silence 1h')!.custom_id, messageId: message.id, user: OPERATOR });

    expect(answer(click)).toMatch(/also in Alertmanager/);
    const silences = await w.am.silences();
    expect(silences.map((s) => [s.status.state, s.createdBy])).toEqual([['active', `discord:${IDS.operator}`]]);
    const everything = JSON.stringify({
      click,
      channel: topLevel(w).map((m) => ({ content: m.content, embeds: m.embeds, thread: m.thread?.messages.map((t) => t.content) })),
      audit: w.service.store.auditFor({}),
    });
    expect(everything).not.toContain(PASSWORD);
  });
});
