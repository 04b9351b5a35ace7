import { SlashCommandBuilder } from 'discord.js';
import { activeSilenceForTarget } from '../src/core/silence.js';
import type { ClusterSnapshot } from '../src/core/types.js';
import { isConfiguredTarget, targetChoices } from './options.js';
import type { CommandContext, SlashCommand } from './types.js';

/** `/status [target]` — health, nodes, incident, silence and what the gate would say to a restart now. */
export const statusCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('status')
    .setDescription('Health of the watched targets and whether a restart would be allowed now')
    .addStringOption((o) => o.setName('target').setDescription('One target (default: all)').setAutocomplete(true))
    .toJSON(),
  operatorOnly: false,
  async execute(interaction, ctx) {
    const only = interaction.options.getString('target');
    if (only !== null && !isConfiguredTarget(only, ctx)) return `“${only}” is not a configured target.`;
    const targets = ctx.config.targets.filter((t) => only === null || t.name === only);
    if (targets.length === 0) return 'No targets are configured.';
    const snapshot = await ctx.cluster.snapshot(ctx.config.targets, ctx.clock());
    const lines: string[] = [];
    if (!snapshot.reachable) lines.push(`⚠️ Kubernetes API unreachable: ${snapshot.error}`);
    for (const target of targets) lines.push(await describeTarget(target.name, snapshot, ctx));
    return fit(lines);
  },
  autocomplete: targetChoices,
};

async function describeTarget(name: string, snapshot: ClusterSnapshot, ctx: CommandContext): Promise<string> {
  const now = ctx.clock();
  const state = ctx.store.loadTargetStates()[name];
  const health = state ? (state.health === 'up' ? '🟢 up' : `🔴 down (${state.lastDetail})`) : '⚪ not checked yet';
  const parts = [`**${name}** ${health}`];
  if (snapshot.reachable) {
    const nodes = snapshot.workloads[name]?.relevantNodes ?? [];
    const described = nodes.map((n) => {
      const facts = snapshot.nodes[n];
      const ready = !facts ? 'missing' : facts.ready === 'True' ? 'Ready' : facts.ready === 'False' ? 'NotReady' : 'Unknown';
      return `${n} ${ready}${facts?.unschedulable ? ' (cordoned)' : ''}`;
    });
    parts.push(`nodes: ${described.join(', ') || 'none bound'}`);
  }
  const incident = ctx.actions.openIncidents().find((i) => i.targets.includes(name) || i.subject === `target:${name}`);
  if (incident) parts.push(`incident #${incident.id} ${incident.subject} (${incident.state})`);
  const silence = activeSilenceForTarget(name, ctx.store.silencesActiveOrEndedSince(now - 60_000), now);
  if (silence) parts.push(`silenced until <t:${Math.floor(silence.endsAt / 1000)}:f>`);
  const gate = await ctx.actions.gateNow(name, snapshot);
  parts.push(gate.allowed ? 'restart now: allowed' : `restart now: no — ${gate.message}`);
  return parts.join(' · ');
}

/** Keeps the reply within Discord's 2000 characters, saying how much was left out. */
function fit(lines: string[]): string {
  const out: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    const rest = `…and ${lines.length - i} more; use /status target:<name>`;
    if (length + line.length + 1 > 2000 - rest.length - 1) {
      out.push(rest);
      break;
    }
    out.push(line);
    length += line.length + 1;
  }
  return out.join('\n');
}
