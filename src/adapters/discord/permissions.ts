import { PermissionFlagsBits } from 'discord.js';

/**
 * What the bot needs in the incidents channel, by the name Discord's settings show: the README's
 * invite link asks for exactly these (their sum is its `permissions=` integer), and
 * `stormguard doctor` checks the bot has each of them there.
 */
export const REQUIRED_CHANNEL_PERMISSIONS: ReadonlyArray<{ name: string; bit: bigint; why: string }> = [
  { name: 'View Channel', bit: PermissionFlagsBits.ViewChannel, why: 'to see the incidents channel' },
  { name: 'Send Messages', bit: PermissionFlagsBits.SendMessages, why: 'to post incidents' },
  { name: 'Embed Links', bit: PermissionFlagsBits.EmbedLinks, why: 'for the incident embed' },
  { name: 'Read Message History', bit: PermissionFlagsBits.ReadMessageHistory, why: 'to find its own messages after a restart' },
  { name: 'Create Public Threads', bit: PermissionFlagsBits.CreatePublicThreads, why: "for each incident's thread" },
  { name: 'Send Messages in Threads', bit: PermissionFlagsBits.SendMessagesInThreads, why: 'for the quiet notes' },
  { name: 'Manage Threads', bit: PermissionFlagsBits.ManageThreads, why: 'to archive and unarchive incident threads' },
];

/** The required permissions by name, comma-separated: what the log line and the doctor tell a person to grant. */
export const REQUIRED_PERMISSION_NAMES: string = REQUIRED_CHANNEL_PERMISSIONS.map((p) => p.name).join(', ');

/** The invite's `permissions=` integer: the sum of {@link REQUIRED_CHANNEL_PERMISSIONS}. */
export const INVITE_PERMISSIONS: bigint = REQUIRED_CHANNEL_PERMISSIONS.reduce((sum, p) => sum | p.bit, 0n);

/** The invite link for an application (scopes `bot applications.commands`, the permissions above). */
export function inviteUrl(applicationId: string): string {
  return `https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot%20applications.commands&permissions=${INVITE_PERMISSIONS}`;
}
