import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli.js';

/** CLI streams captured in memory, for calling `main` in-process. */
export function captureIo(env: NodeJS.ProcessEnv = {}, stopSignal?: Promise<void>): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env, stopSignal, out: () => out, err: () => err };
}
