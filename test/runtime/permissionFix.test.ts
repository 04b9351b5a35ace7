/**
 * The reaction to Discord's permission events (issue 24 item 3) on a real SQLite store: it hurries only
 * what a permission can fix, once per throttle window however many events arrive, and never spends a
 * request when nothing was refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../src/adapters/sqlite/store.js';
import { silentLogger } from '../../src/log.js';
import { createPermissionFix, PERMISSION_FIX_DEBOUNCE_MS } from '../../src/runtime/permissionFix.js';
import { DISCORD_SETUP_PROBLEM } from '../../src/runtime/reachability.js';

const T = Date.parse('2026-12-07T02:14:00Z');
let dir: string;
let store: Store;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-fix-'));
  store = createStore(openDatabase(path.join(dir, 'stormguard.db')), { now: () => T });
});
afterEach(() => {
  vi.useRealTimers();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A Discord effect refused at T, retried 3 minutes later. */
function refusedEffect(): number {
  const id = store.enqueueEffect(null, { type: 'editMessage' }, T);
  store.beginDelivery(id, T);
  store.markEffectRetry(id, 'discord: refused with HTTP 403', T, 180_000);
  return id;
}

describe('createPermissionFix', () => {
  it.each([
    ['missingPermissions', true],
    ['missingAccess', true],
    ['forbidden', true],
    ['tokenRefused', false],
    ['unknownChannel', false],
  ])('a refusal for %s: hurried = %s, one delivery pass for a burst of events', async (problem, hurried) => {
    refusedEffect();
    store.setMeta(DISCORD_SETUP_PROBLEM, JSON.stringify({ problem, fix: 'x', since: T }));
    const deliver = vi.fn(async () => undefined);
    const fix = createPermissionFix({ store, clock: () => T + 1_000, logger: silentLogger(), deliver });
    for (const event of ['channelUpdate', 'roleUpdate', 'guildMemberUpdate', 'channelUpdate']) fix.changed(event);
    expect(store.pendingEffects(T + 1_000)).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(PERMISSION_FIX_DEBOUNCE_MS);
    expect(deliver).toHaveBeenCalledTimes(hurried ? 1 : 0);
    expect(store.pendingEffects(T + 1_000)).toHaveLength(hurried ? 1 : 0);
    fix.stop();
  });

  it('without a setup problem, events cost nothing', async () => {
    refusedEffect();
    const deliver = vi.fn(async () => undefined);
    const fix = createPermissionFix({ store, clock: () => T + 1_000, logger: silentLogger(), deliver });
    fix.changed('channelUpdate');
    await vi.advanceTimersByTimeAsync(PERMISSION_FIX_DEBOUNCE_MS * 5);
    expect(deliver).not.toHaveBeenCalled();
    expect(store.pendingEffects(T + 1_000)).toHaveLength(0);
  });

  it('a steady stream of events is at most one pass per window', async () => {
    store.setMeta(DISCORD_SETUP_PROBLEM, JSON.stringify({ problem: 'missingPermissions', fix: 'x', since: T }));
    const deliver = vi.fn(async () => undefined);
    const fix = createPermissionFix({ store, clock: () => T, logger: silentLogger(), deliver });
    for (let i = 0; i < 50; i++) {
      refusedEffect();
      fix.changed('roleUpdate');
      await vi.advanceTimersByTimeAsync(100);
    }
    // 5 s of events every 100 ms: five windows, five passes — never one per event.
    expect(deliver).toHaveBeenCalledTimes(5);
    fix.stop();
  });
});
