import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');
// tsx's loader by absolute URL, so the child can run from any working directory.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const ENTRY = path.join(ROOT, 'src/bin.ts');

/** Node arguments that run the CLI from source, as in development. */
export function cliArgs(args: string[]): string[] {
  return ['--import', TSX, ENTRY, ...args];
}

/** Runs the real CLI to completion in a child process. */
export function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, cliArgs(args), {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** Starts the real CLI as a long-running child process. */
export function spawnCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  return spawn(process.execPath, cliArgs(args), { cwd: options.cwd, env: { PATH: process.env.PATH, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
}
