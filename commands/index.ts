import { ackCommand } from './ack.js';
import { incidentCommand } from './incident.js';
import { incidentsCommand } from './incidents.js';
import { maintenanceCommand } from './maintenance.js';
import { logsCommand } from './logs.js';
import { noteCommand } from './note.js';
import { restartCommand } from './restart.js';
import { silenceCommand } from './silence.js';
import { statusCommand } from './status.js';
import type { CommandAnswer, SlashCommand } from './types.js';

/** Every slash command, by name. */
export const COMMANDS: ReadonlyMap<string, SlashCommand<string | CommandAnswer>> = new Map(
  [statusCommand, incidentsCommand, restartCommand, ackCommand, silenceCommand, logsCommand, maintenanceCommand, noteCommand, incidentCommand].map((c) => [c.definition.name, c] as const),
);
