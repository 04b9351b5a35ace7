import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Creates the JSON-lines logger on stdout. Secret-bearing keys are redacted wherever they appear,
 * as a second line of defence: code never logs secrets on purpose.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { app: 'stormguard' },
      redact: {
        paths: ['token', 'pass', 'password', 'authorization', '*.token', '*.pass', '*.password', '*.authorization', 'config.discord.token'],
        censor: '********',
      },
    },
    options.destination ?? process.stdout,
  );
}

/** A logger that drops everything, for tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
