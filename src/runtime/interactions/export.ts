/** The answer with an incident's export attached: the one reply of `/incident export` and of the Export button. */
import { EXPORT_SCHEMA, type ExportFormat } from '../../core/export.js';
import type { CommandAnswer, CommandContext } from './context.js';

/** The export of incident `id` in `format` as an answer with its file (`incident-<id>.md`/`.json`), or the sentence that it does not exist. */
export function exportAnswer(id: number, format: ExportFormat, ctx: CommandContext): string | CommandAnswer {
  const file = ctx.actions.exportFile(id, format);
  if (!file) return `There is no incident #${id}.`;
  const what = format === 'md' ? 'post-mortem skeleton (Markdown)' : `timeline as JSON (${EXPORT_SCHEMA})`;
  return { content: `Incident #${id}: ${what}.`, files: [{ name: file.name, data: file.content }] };
}
