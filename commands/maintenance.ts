import { SlashCommandBuilder } from 'discord.js';
import { parseDuration } from '../src/core/duration.js';
import { clip, discordTime } from '../src/core/text.js';
import { describeCovered, describeOrigin, windowEnd } from '../src/core/windows.js';
import type { WindowSubject } from '../src/runtime/actions/maintenance.js';
import { configuredTarget } from '../src/runtime/interactions/context.js';
import { targetChoices } from './options.js';
import { OPERATORS_ONLY } from './permissions.js';
import type { CommandContext, SlashCommand } from './types.js';

/** Longest window declared by hand: a week, like a silence, so a forgotten window cannot hide outages for ever. */
export const MAX_WINDOW_MS = 7 * 24 * 3_600_000;

// A Kubernetes node name (RFC 1123 subdomain): it is stored and compared, never sent to the API.
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * `/maintenance node:<node> | target:<t> duration:<d> reason:<text>` — a window in which checks go on,
 * nothing rings for what it covers and nothing restarts automatically; `duration:off` ends it early;
 * without options it lists the windows in force.
 */
export const maintenanceCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('maintenance')
    .setDescription('Declare a maintenance window over a node or a target; alone: list the windows in force')
    .setDefaultMemberPermissions(OPERATORS_ONLY)
    .addStringOption((o) => o.setName('node').setDescription('A node: every target on it, and the node itself').setMaxLength(253))
    .addStringOption((o) => o.setName('target').setDescription('One target').setAutocomplete(true))
    .addStringOption((o) => o.setName('duration').setDescription('30m, 1h, 1h30m, 1d (max 7d) — or off to end it').setMaxLength(20))
    .addStringOption((o) => o.setName('reason').setDescription('What is being done (NAS firmware, router reboot)').setMaxLength(200))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const by = interaction.user.id;
    const node = interaction.options.getString('node')?.trim() || null;
    const target = interaction.options.getString('target')?.trim() || null;
    const given = interaction.options.getString('duration')?.trim() || null;
    const reason = interaction.options.getString('reason')?.trim() ?? '';
    if (node === null && target === null && given === null) return listWindows(ctx);
    if (node !== null && target !== null) {
      ctx.actions.refuse(by, 'maintenance', 'bothSubjects', { node, target });
      return 'Give either node or target, not both.';
    }
    let subject: WindowSubject | null = null;
    if (target !== null) {
      const known = configuredTarget(target, ctx);
      if (!known.ok) {
        ctx.actions.refuse(by, 'maintenance', known.reason, { target });
        return known.message;
      }
      subject = { kind: 'target', name: target };
    } else if (node !== null) {
      if (!NODE_NAME.test(node)) {
        ctx.actions.refuse(by, 'maintenance', 'badNode', { node: clip(node, 100) });
        return 'That is not a Kubernetes node name (lowercase letters, digits, "-" and ".").';
      }
      subject = { kind: 'node', name: node };
    }
    if (given !== null && given.toLowerCase() === 'off') return (await ctx.actions.endMaintenance(subject, by)).message;
    if (subject === null) return 'Name a node or a target for the window (or duration:off to end every window in force).';
    if (given === null) return 'Give a duration for the window, e.g. duration:1h (or duration:off to end it).';
    const duration = parseDuration(given, { max: MAX_WINDOW_MS });
    if (!duration.ok) {
      ctx.actions.refuse(by, 'maintenance', 'badDuration', { [subject.kind]: subject.name, duration: given });
      return duration.error;
    }
    return (await ctx.actions.declareMaintenance(subject, duration.ms, { id: by, name: interaction.user.globalName ?? interaction.user.username }, reason)).message;
  },
  autocomplete: targetChoices,
};

function listWindows(ctx: CommandContext): string {
  const { windows } = ctx.actions.maintenanceWindows();
  if (windows.length === 0) return 'No maintenance window is in force.';
  const line = (w: (typeof windows)[number]) => clip(`**${describeCovered(w)}** until ${discordTime(windowEnd(w), 'f')} (${discordTime(windowEnd(w))}) — ${describeOrigin(w)}`, 300);
  const lines = windows.slice(0, 10).map(line);
  if (windows.length > 10) lines.push(`… and ${windows.length - 10} more`);
  return `Maintenance windows in force:\n${lines.join('\n')}`;
}
