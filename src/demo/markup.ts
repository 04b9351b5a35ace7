/**
 * Discord markup as a person sees it in the client: `<t:…>` timestamps in local time (or "2 hours
 * ago"), `<@&role>` as `@oncall`, `<@user>` as `@alice`. The demo prints and draws what people see,
 * not the wire format. Pure: the clock, the names and the time zone are passed in.
 */

/** What turning markup into what people see needs. */
export interface SeenContext {
  /** "Now" for relative timestamps (the demo's simulated clock). */
  now: number;
  roles: Readonly<Record<string, string>>;
  users: Readonly<Record<string, string>>;
  /** IANA time zone for absolute timestamps (default: this machine's). */
  timeZone?: string;
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** A relative time the way Discord's client words it ("2 hours ago", "in 5 minutes", "a few seconds ago"). */
export function relativeTime(at: number, now: number): string {
  const delta = at - now;
  const abs = Math.abs(delta);
  if (abs < 45_000) return delta <= 0 ? 'a few seconds ago' : 'in a few seconds';
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
  for (const [unit, ms] of UNITS) {
    if (abs >= ms * 0.9 || unit === 'minute') return rtf.format(Math.round(delta / ms), unit);
  }
  return rtf.format(Math.round(delta / 60_000), 'minute');
}

/** The Discord timestamp styles: t 22:01, T 22:01:30, d 25/11/2026, D 25 November 2026, f/F date and time. */
function absoluteTime(at: number, style: string, timeZone: string | undefined): string {
  const options: Record<string, Intl.DateTimeFormatOptions> = {
    t: { hour: '2-digit', minute: '2-digit' },
    T: { hour: '2-digit', minute: '2-digit', second: '2-digit' },
    d: { day: '2-digit', month: '2-digit', year: 'numeric' },
    D: { day: 'numeric', month: 'long', year: 'numeric' },
    f: { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' },
    F: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' },
  };
  return new Intl.DateTimeFormat('en-GB', { ...(options[style] ?? options.f), ...(timeZone ? { timeZone } : {}) }).format(at);
}

/** `text` with Discord markup replaced by what the client shows. */
export function asSeen(text: string, ctx: SeenContext): string {
  return text
    .replace(/<t:(-?\d+)(?::([tTdDfFR]))?>/g, (_m, unix: string, style: string | undefined) => {
      const at = Number(unix) * 1000;
      return style === 'R' ? relativeTime(at, ctx.now) : absoluteTime(at, style ?? 'f', ctx.timeZone);
    })
    .replace(/<@&(\d+)>|(?<![<\w])@&(\d+)/g, (_m, a: string | undefined, b: string | undefined) => `@${ctx.roles[(a ?? b)!] ?? 'unknown-role'}`)
    .replace(/<@!?(\d+)>/g, (_m, id: string) => `@${ctx.users[id] ?? 'unknown-user'}`);
}
