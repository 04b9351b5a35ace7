import { ackCommand } from './ack.js';
import { incidentsCommand } from './incidents.js';
import { logsCommand } from './logs.js';
import { restartCommand } from './restart.js';
import { silenceCommand } from './silence.js';
import { statusCommand } from './status.js';
import type { SlashCommand } from './types.js';

/** Every slash command, by name. */
export const COMMANDS: ReadonlyMap<string, SlashCommand> = new Map(
  [statusCommand, incidentsCommand, restartCommand, ackCommand, silenceCommand, logsCommand].map((c) => [c.definition.name, c]),
);
