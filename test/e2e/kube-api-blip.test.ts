import { afterEach, describe, expect, it } from 'vitest';
import { CLUSTER_SUBJECT } from '../../src/core/subject.js';
import { HOMELAB_DISCORD } from '../../src/sim/homelab.js';
import { closeWorld, messageOf, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;

afterEach(async () => {
  const violations = world ? await closeWorld(world) : [];
  world = undefined;
  expect(violations).toEqual([]);
});

/** Cuts the Kubernetes API off and waits until the bot's node cache knows it (so the next cycle sees it unreachable). */
async function apiDown(w: World): Promise<void> {
  w.kube.setApiDown(true);
  await expect.poll(() => w.adapter.caches().find((c) => c.kind === 'Node')?.inSync).toBe(false);
}

/** The cluster incidents the bot stored, oldest first. */
function clusterIncidents(w: World) {
  return w.app.store.recentIncidents(0).filter((i) => i.subject === CLUSTER_SUBJECT);
}

// The homelab's targets use the default thresholds: failureThreshold 2, successThreshold 2.
describe('Kubernetes API blips (issue 10 item 6)', () => {
  it('an API down for one cycle posts nothing and rings nobody; down for two cycles in a row posts one message and rings once', async () => {
    world = await startWorld();
    const w = world;
    await w.cycles(1);

    // A blip: one failed cycle, then the API answers again.
    await apiDown(w);
    await w.cycles(1);
    w.kube.setApiDown(false);
    await w.cycles(3);
    expect(clusterIncidents(w)).toEqual([]);
    expect(topLevel(w)).toEqual([]);
    expect(roleRings(w)).toBe(0);

    // An outage: two failed cycles in a row confirm it.
    await apiDown(w);
    await w.cycles(1);
    expect(topLevel(w)).toEqual([]);
    await w.cycles(1);
    expect(clusterIncidents(w).map((i) => i.state)).toEqual(['open']);
    expect(topLevel(w)).toHaveLength(1);
    expect(messageOf(w, CLUSTER_SUBJECT)?.content).toBe(`<@&${HOMELAB_DISCORD.oncall}> Incident #1: The Kubernetes API does not answer`);
    expect(roleRings(w)).toBe(1);

    // It resolves after two answered cycles in a row (successThreshold), not on the first.
    w.kube.setApiDown(false);
    await w.cycles(1);
    expect(clusterIncidents(w).map((i) => i.state)).toEqual(['open']);
    await w.cycles(1);
    expect(clusterIncidents(w).map((i) => i.state)).toEqual(['resolved']);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
  });

  it('the count of failed cycles survives a restart of stormguard', async () => {
    world = await startWorld();
    const w = world;
    await w.cycles(1);
    await apiDown(w);
    await w.cycles(1);
    expect(topLevel(w)).toEqual([]);

    await w.restartBot();
    await w.cycles(1);
    expect(clusterIncidents(w).map((i) => i.state)).toEqual(['open']);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
  });
});
