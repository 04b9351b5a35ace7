/** The doctor's checklist: one line per check, the fix under every failure, and what it means for the exit status. */
import { plural } from '../core/text.js';

/** `ok` ✓ works; `fail` ✗ stormguard will not work as configured; `warn` ! works, but probably not as meant. */
export type CheckStatus = 'ok' | 'fail' | 'warn';

/** One line of the checklist. */
export interface Check {
  status: CheckStatus;
  /** What was checked and what was found, in one line. */
  title: string;
  /** For `fail` (and where useful `warn`): what to do, in words. */
  fix?: string;
}

const MARKS: Record<CheckStatus, string> = { ok: '✓', fail: '✗', warn: '!' };

/** Builders that read like the checklist. */
export const ok = (title: string): Check => ({ status: 'ok', title });
export const fail = (title: string, fix: string): Check => ({ status: 'fail', title, fix });
export const warn = (title: string, fix?: string): Check => ({ status: 'warn', title, ...(fix ? { fix } : {}) });

/** A section (`Discord`, `Kubernetes`, …) and its checks. */
export interface Section {
  name: string;
  checks: Check[];
}

/** The checklist as text: a heading per section, `✓ title` lines, `  fix: …` under failures, a closing count. */
export function formatChecklist(sections: readonly Section[]): string {
  const lines: string[] = [];
  for (const section of sections) {
    lines.push(section.name);
    for (const check of section.checks) {
      lines.push(`  ${MARKS[check.status]} ${check.title}`);
      if (check.fix) lines.push(`      fix: ${check.fix}`);
    }
  }
  const all = sections.flatMap((s) => s.checks);
  const count = (status: CheckStatus) => all.filter((c) => c.status === status).length;
  const failed = count('fail');
  lines.push('');
  lines.push(
    failed === 0
      ? `all good: ${count('ok')} passed, ${plural(count('warn'), 'warning')}`
      : `${plural(failed, 'problem')} to fix, ${plural(count('warn'), 'warning')}, ${count('ok')} passed`,
  );
  return `${lines.join('\n')}\n`;
}

/** 0 when nothing failed, 1 otherwise (warnings do not fail the doctor). */
export function exitStatus(sections: readonly Section[]): number {
  return sections.some((s) => s.checks.some((c) => c.status === 'fail')) ? 1 : 0;
}
