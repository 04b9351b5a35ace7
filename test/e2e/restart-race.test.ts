/**
 * Issue 20 item 3: each action is one transaction, decided inside it. People's restarts ask the gate
 * and write their attempt in one transaction, as the cycle does, so two `/restart`s and a cycle fired at
 * once carry out exactly one restart — whoever commits first, the others see its attempt and are refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeWorldChecked, startWorld, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

/** frigate failed once: the next cycle confirms it down and would restart it automatically (node-a has been Ready for the grace). */
async function frigateAboutToBeRestarted(): Promise<World> {
  const w = await startWorld();
  w.probe.setStatus(503);
  await w.cycles(1);
  w.clock.advance(30_000);
  await w.settle();
  return w;
}

const REFUSED = /^Not restarting frigate: (a restart of frigate is already being carried out|frigate was restarted .* ago; the next restart is possible in .*|a rollout of frigate is still in progress)\.$/;

describe('a restart is decided and written in one transaction', () => {
  // The actions the slash commands and buttons call, started in one turn: interactions arriving through the
  // gateway one event apart would rarely land inside the window between an `await` and the write.
  it('two /restarts and a cycle started in the same turn: one attempt row, one PATCH', async () => {
    world = await frigateAboutToBeRestarted();
    const w = world;
    const actions = w.app.actions;
    const results = await Promise.all([actions.restart('frigate', 'alice', null), actions.restart('frigate', 'bob', 'stuck'), w.app.cycles.tick()]);
    expect(w.kube.restarts.map((r) => `${r.namespace}/${r.name}`)).toEqual(['nvr/frigate']);
    expect(w.kube.countRequests({ method: 'PATCH', pathPrefix: '/apis/apps/v1/namespaces/nvr/deployments/frigate' })).toBe(1);
    expect(w.app.store.restartsFor({ incidentIds: [], since: 0 })).toHaveLength(1);
    const people = results.slice(0, 2) as Array<{ ok: boolean; message: string }>;
    expect(people.filter((r) => r.ok).length).toBeLessThanOrEqual(1);
    for (const refused of people.filter((r) => !r.ok)) expect(refused.message).toMatch(REFUSED);
  });
});
