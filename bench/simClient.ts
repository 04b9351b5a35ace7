/** The parent side of `simProcess.ts`: forks it with tsx and calls its operations. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NodeReadiness } from '../src/core/types.js';
import type { LayoutSize } from './layout.js';
import type { PostedMessage, SimOp, SimRequests, SimSetup, SimUsage } from './simProcess.js';

/** The simulated world running in a child process. */
export interface SimWorld {
  readonly pid: number;
  /** `now: null` runs the simulator on real time. */
  setup(o: { size: LayoutSize; apiLatencyMs: number; probeDelayMs: number; now: number | null; bookmarkIntervalMs?: number; discord?: boolean }): Promise<SimSetup>;
  setNow(now: number): Promise<void>;
  setLatency(ms: number): Promise<void>;
  setNodeReady(node: string, status: NodeReadiness): Promise<void>;
  resetRequests(): Promise<void>;
  requests(): Promise<SimRequests>;
  /** Body bytes the simulator has sent so far (answers and watch streams). */
  bytes(): Promise<number>;
  usage(): Promise<SimUsage>;
  /** How many watch streams are open now. */
  watches(): Promise<number>;
  /** The messages the bot posted in the homelab's incidents channel (setup with `discord`). */
  postedMessages(): Promise<PostedMessage[]>;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Forks the world (`node --import tsx bench/simProcess.ts`) and waits until it listens for requests. */
export async function startSimWorld(): Promise<SimWorld> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./simProcess.ts', import.meta.url)), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | null = null;
  child.on('exit', (code, signal) => {
    exited = new Error(`sim process exited (${signal ?? code})`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => reject(exited));
    child.once('message', () => resolve());
  });
  child.on('message', (raw: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const p = pending.get(raw.id);
    if (!p) return;
    pending.delete(raw.id);
    if (raw.ok) p.resolve(raw.value);
    else p.reject(new Error(`sim process: ${raw.error}`));
  });
  const call = <T>(msg: SimOp): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, msg });
    });

  return {
    pid: child.pid!,
    setup: (o) => call<SimSetup>({ op: 'setup', ...o }),
    setNow: (now) => call<void>({ op: 'setNow', now }),
    setLatency: (ms) => call<void>({ op: 'setLatency', ms }),
    setNodeReady: (node, status) => call<void>({ op: 'setNodeReady', node, status }),
    resetRequests: () => call<void>({ op: 'resetRequests' }),
    requests: () => call<SimRequests>({ op: 'requests' }),
    bytes: () => call<number>({ op: 'bytes' }),
    usage: () => call<SimUsage>({ op: 'usage' }),
    watches: () => call<number>({ op: 'watches' }),
    postedMessages: () => call<PostedMessage[]>({ op: 'postedMessages' }),
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call<void>({ op: 'stop' }).catch(() => undefined);
      await gone;
    },
  };
}
