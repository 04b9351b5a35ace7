/**
 * SPEC §9: replies stay within Discord's 2,000 characters, and a list that does not fit is summarised
 * with a count rather than cut mid-line. The router clips whatever a command answers as a last resort;
 * these pin that /incidents and /status summarise first, so nothing is lost without saying so.
 */
import type { ChatInputCommandInteraction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { formatIncidentList } from '../../commands/incidents.js';
import { statusCommand } from '../../commands/status.js';
import type { CommandContext } from '../../src/runtime/interactions/context.js';
import type { StatusFacts } from '../../src/runtime/actions/index.js';
import { DISCORD_LIMITS } from '../../src/core/text.js';
import { incident, node, snapshot, T0, target, workload } from '../core/fixtures.js';

describe('replies within Discord’s 2,000 characters', () => {
  it('/incidents lists whole lines, newest first, and counts the rest', () => {
    const items = Array.from({ length: 120 }, (_, i) => ({
      incident: incident({ id: 120 - i, subject: `target:${'service-'.repeat(6)}${120 - i}` }),
      url: `https://discord.com/channels/1/2/${300000000000000000 + i}`,
    }));
    const reply = formatIncidentList(items);
    expect(reply.length).toBeLessThanOrEqual(DISCORD_LIMITS.reply);
    const lines = reply.split('\n');
    expect(lines[0]).toBe('120 open incidents, newest first:');
    const shown = lines.slice(1, -1);
    expect(shown.length).toBeGreaterThan(5);
    // Every incident line shown is whole (ends in its link), in order, and the last line counts the others.
    shown.forEach((line, i) => expect(line).toMatch(new RegExp(`^\\*\\*#${120 - i} .*\\[message\\]\\(https://discord\\.com/channels/1/2/${300000000000000000 + i}\\)$`)));
    expect(lines.at(-1)).toBe(`… and ${120 - shown.length} more`);
  });

  it('/incidents shows every incident when they fit', () => {
    const items = [1, 2].map((id) => ({ incident: incident({ id, subject: `target:s${id}` }), url: null }));
    expect(formatIncidentList(items).split('\n')).toHaveLength(3);
  });

  it('/status with many targets answers one line per target and points to /status target:<name> for the rest', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `target-number-${i}`);
    const facts: StatusFacts = {
      snapshot: snapshot([node('node-a')], names.map((n) => workload(n, ['node-a']))),
      now: T0,
      states: {},
      covering: new Map(names.map((n) => [n, null])),
      names: new Map(),
      silences: [],
      gate: new Map(names.map((n) => [n, { allowed: true } as never])),
      maintenance: [],
    };
    const ctx = { config: { targets: names.map((n) => target(n)) }, actions: { statusFacts: async () => facts } } as unknown as CommandContext;
    const interaction = { options: { getString: () => null } } as unknown as ChatInputCommandInteraction;
    const reply = await statusCommand.execute(interaction, ctx);
    expect(reply.length).toBeLessThanOrEqual(DISCORD_LIMITS.reply);
    const lines = reply.split('\n');
    const shown = lines.slice(0, -1);
    shown.forEach((line, i) => expect(line).toBe(`**${names[i]}** ⚪ not checked yet · nodes: node-a Ready · restart now: allowed`));
    expect(lines.at(-1)).toBe(`…and ${300 - shown.length} more; use /status target:<name>`);
  });
});
