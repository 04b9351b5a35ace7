import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';

/** A real pino logger whose JSON lines a test can read back. */
export interface CapturedLogs {
  logger: Logger;
  lines(): Array<Record<string, unknown> & { msg: string; level: number }>;
}

/** Captures what the bot logs (the same logger `stormguard run` uses, writing to memory). */
export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown> & { msg: string; level: number }),
  };
}
