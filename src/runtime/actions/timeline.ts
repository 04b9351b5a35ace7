/** People's part in the timeline (SPEC §13): a note in an incident's thread, and the incident's export as a file. */
import { exportFileName, type ExportFormat } from '../../core/export.js';
import { NOTE_MAX } from '../../core/lifecycle.js';
import type { Incident } from '../../core/types.js';
import { exportIncident } from '../export.js';
import type { ActionDeps, Actions } from './contract.js';
import type { Naming } from './naming.js';
import { applyByPerson, auditAction } from './record.js';

/** Builds the note and export actions. */
export function createTimelineActions(deps: ActionDeps, naming: Naming): Pick<Actions, 'note' | 'exportFile'> {
  return {
    async note(incident: Incident, by: string, text: string) {
      if (text.trim().length === 0) {
        auditAction(deps, { actor: by, action: 'noteRefused', subject: incident.subject, incidentId: incident.id, reason: 'emptyNote' });
        return { ok: false, message: 'A note needs some text.' };
      }
      applyByPerson(deps, incident, { type: 'note', by, text }, by);
      const clipped = text.trim().length > NOTE_MAX ? ` (kept its first ${NOTE_MAX} characters)` : '';
      return { ok: true, message: `Noted in the timeline of incident ${naming.named(incident)}${clipped}.` };
    },

    exportFile(incidentId: number, format: ExportFormat) {
      const content = exportIncident(deps.store, deps.config, incidentId, format);
      return content === null ? null : { name: exportFileName(incidentId, format), content };
    },
  };
}
