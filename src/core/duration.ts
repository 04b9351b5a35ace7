/**
 * Durations as people write them: `90s`, `5m`, `1h30m`, `2d`.
 *
 * One parser serves both the configuration file and the `/silence` command, so a duration that
 * works in one place works in the other. Pure: no I/O, no clock.
 */

import { clip } from './text.js';

/** The result of {@link parseDuration}: milliseconds, or a sentence for people saying what is wrong. */
export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

/** Options for {@link parseDuration}. */
export interface ParseDurationOptions {
  /** The longest accepted duration, in milliseconds (inclusive). */
  max?: number;
  /**
   * Whether the error quotes the text (default true, for `/silence`); false for the configuration
   * file, where a value in the wrong key may be a secret and the message follows the field's name.
   */
  echo?: boolean;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Units from largest to smallest; the grammar requires this order, so the table is the grammar. */
const UNITS = [
  { symbol: 'd', ms: DAY },
  { symbol: 'h', ms: HOUR },
  { symbol: 'm', ms: MINUTE },
  { symbol: 's', ms: SECOND },
] as const;

// Each unit optional, at most once, in descending order, no spaces or signs.
const GRAMMAR = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * The shape of a duration as a regular expression source (no zero or length checks), for the JSON
 * Schema of the Helm chart's values; {@link parseDuration} stays the judge.
 */
export const DURATION_PATTERN: string = GRAMMAR.source;
// Looks like a duration but breaks the order/once rule ("5m1h", "1h1h"): worth a specific message.
const UNITS_OUT_OF_ORDER = /^(?:\d+[dhms])+$/;
const EXAMPLES = 'use e.g. 30m, 1h, 1h30m, 2d';

/** Parses `<positive integer><unit>…` (units d, h, m, s, descending, each once) into milliseconds. */
export function parseDuration(text: string, opts: ParseDurationOptions = {}): DurationResult {
  if (text === '') return fail(`a duration is required; ${EXAMPLES}`);
  const echo = opts.echo ?? true;
  // `“5x” is not a duration` for a person who typed it, `is not a duration` after a field's name.
  const quote = (value: string) => (echo ? `${quoted(value)} ` : '');
  const match = GRAMMAR.exec(text);
  if (!match) return fail(explainMismatch(text, quote, echo));

  let ms = 0;
  let hasZeroPart = false;
  for (const [index, unit] of UNITS.entries()) {
    const digits = match[index + 1];
    if (digits === undefined) continue;
    const count = Number(digits);
    hasZeroPart ||= count === 0;
    ms += count * unit.ms;
  }
  if (ms === 0) return fail(`${quote(text)}is not a duration; it must be longer than zero, ${EXAMPLES}`);
  if (hasZeroPart) return fail(`${quote(text)}has a zero part; every number must be positive, e.g. 1h30m`);
  // Nothing can be this long on purpose, and past this point the arithmetic is no longer exact.
  if (!Number.isSafeInteger(ms)) return fail(`${quote(text)}is too long`);
  if (opts.max !== undefined && ms > opts.max) {
    return fail(`${quote(text)}is too long; at most ${formatDuration(opts.max)}`);
  }
  return { ok: true, ms };
}

/** Renders milliseconds the way {@link parseDuration} reads them (5400000 → "1h30m"); sub-second remainders are dropped, except below one second ("250ms"). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatDuration: not a duration: ${ms}`);
  if (ms === 0) return '0s';
  if (ms < SECOND) return `${Math.round(ms)}ms`;
  let rest = Math.floor(ms / SECOND) * SECOND;
  let text = '';
  for (const unit of UNITS) {
    const count = Math.floor(rest / unit.ms);
    if (count > 0) text += `${count}${unit.symbol}`;
    rest -= count * unit.ms;
  }
  return text;
}

/** Quotes user text for an error message, shortened so a pasted paragraph cannot flood a reply. */
function quoted(text: string): string {
  return `“${clip(text, 32)}”`;
}

function fail(error: string): DurationResult {
  return { ok: false, error };
}

/** Picks the most useful sentence for text the grammar rejected. */
function explainMismatch(text: string, quote: (text: string) => string, echo: boolean): string {
  if (/^\d+$/.test(text)) {
    return /^0+$/.test(text)
      ? `${quote(text)}is not a duration; it must be longer than zero, ${EXAMPLES}`
      : `${quote(text)}needs a unit (d, h, m or s), e.g. ${echo ? text : '30'}m`;
  }
  if (/^\d+\.\d+[dhms]/.test(text)) return `${quote(text)}is not a duration; use whole numbers, e.g. 1h30m instead of 1.5h`;
  if (UNITS_OUT_OF_ORDER.test(text)) {
    return `${quote(text)}is not a duration; write each unit once, largest first (d, h, m, s), e.g. 1h30m`;
  }
  return `${quote(text)}is not a duration; ${EXAMPLES}`;
}
