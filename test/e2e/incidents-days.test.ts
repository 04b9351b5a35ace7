/**
 * `/incidents days:<n>` (issue 25) with the real bot against the simulators: resolved incidents of
 * the last n days are listed too, with how long each lasted, registered as an integer option.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { incidentsCommand } from '../../commands/incidents.js';
import { answer, BYSTANDER, startWorld, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  if (!world) return;
  const violations = world.discord.violations;
  await world.close();
  world = undefined;
  expect(violations).toEqual([]);
});

describe('/incidents days:<n>', () => {
  it('lists the incidents resolved in those days with their durations; without days only what is open', async () => {
    world = await startWorld();
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    w.probe.setStatus(200);
    // Down for 2 cycles of 30 s, then up again after successThreshold cycles.
    await w.cycles(2);
    expect(answer(await w.discord.slashCommand({ name: 'incidents', user: BYSTANDER }))).toBe('No incident is open.');

    const lines = answer(await w.discord.slashCommand({ name: 'incidents', options: { days: 7 }, user: BYSTANDER })).split('\n');
    expect(lines[0]).toBe('No incident is open.');
    expect(lines[1]).toBe('1 incident resolved in the last 7 days, most recent first:');
    expect(lines[2]).toMatch(/^\*\*#1 target:frigate\*\* — resolved <t:\d+:R> after 1m · \[message\]\(https:\/\/discord\.com\/channels\//);
    expect(lines).toHaveLength(3);
    // Defined with Discord's bounds, so a person cannot type 0 or a year and a day.
    expect(incidentsCommand.definition.options).toEqual([expect.objectContaining({ name: 'days', type: 4, min_value: 1, max_value: 365, required: false })]);
  });
});
