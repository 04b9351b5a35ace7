import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type PendingEffect, type Store } from '../../src/adapters/sqlite/store.js';
import type { IncidentView } from '../../src/core/render.js';
import type { Incident } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { EffectError, type EffectSink } from '../../src/core/delivery.js';
import { everyChannel } from '../helpers/sinks.js';
import { deliverPending } from '../../src/runtime/outbox.js';
import { incident } from '../core/fixtures.js';

let dir: string;
let store: Store;
let now = 1_000_000;
const clock = () => now;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-outbox-'));
  store = createStore(openDatabase(path.join(dir, 'db.sqlite')), { now: clock });
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What the pass renders with: the incident alone (these tests look at delivery, not at messages). */
const rendering = { view: (i: Incident): IncidentView => ({ incident: i, silence: null, targets: [], nodes: [], nextRestart: null }), messageLink: () => null };

function stored(subject: string): Incident {
  return store.insertIncident({ ...incident({ subject }), id: null });
}

/** A receiver whose behaviour each test scripts: it records deliveries and can fail or hang. */
function receiver(behave: (p: PendingEffect) => Promise<void> | void = () => undefined) {
  const delivered: number[] = [];
  const sink: EffectSink = {
    async deliver(p) {
      await behave(p);
      delivered.push(p.id);
    },
  };
  return { sink, delivered };
}

describe('deliverPending', () => {
  it('delivers the channels side by side: a hung email never delays Discord', async () => {
    const a = stored('target:a');
    const b = stored('target:b');
    const email = store.enqueueEffect(a.id, { type: 'email', reason: 'escalation' }, now);
    const edit = store.enqueueEffect(b.id, { type: 'editMessage' }, now);
    const note = store.enqueueEffect(b.id, { type: 'threadNote', text: 'x' }, now);
    let release: () => void = () => undefined;
    const hung = new Promise<void>((r) => (release = r));
    const { sink, delivered } = receiver((p) => (p.effect.type === 'email' ? hung : undefined));
    const pass = deliverPending({ store, sinks: everyChannel(sink), clock, logger: silentLogger(), ...rendering });
    await expect.poll(() => delivered).toEqual([edit, note]);
    release();
    expect(await pass).toEqual({ delivered: 3, retried: 0, failed: 0 });
    expect(delivered).toEqual([edit, note, email]);
  });

  it('pauses a failing channel for the pass, honours retry-after, keeps order, and gives up on a 4xx for good', async () => {
    const a = stored('target:a');
    const first = store.enqueueEffect(a.id, { type: 'editMessage' }, now);
    const second = store.enqueueEffect(a.id, { type: 'threadNote', text: 'after' }, now);
    const push = store.enqueueEffect(a.id, { type: 'push', reason: 'open' }, now);
    let discordDown = true;
    const { sink, delivered } = receiver((p) => {
      if (p.effect.type === 'push') throw new EffectError('ntfy: HTTP 400', false);
      if (discordDown) throw new EffectError('discord: 429', true, 7_000);
    });
    expect(await deliverPending({ store, sinks: everyChannel(sink), clock, logger: silentLogger(), ...rendering })).toEqual({ delivered: 0, retried: 1, failed: 1 });
    expect(store.countEffects({ status: 'failed', type: 'push' })).toBe(1);
    // Not due before retry_after; the later note waits behind the first edit.
    now += 6_000;
    discordDown = false;
    expect(await deliverPending({ store, sinks: everyChannel(sink), clock, logger: silentLogger(), ...rendering })).toEqual({ delivered: 0, retried: 0, failed: 0 });
    now += 1_000;
    expect(await deliverPending({ store, sinks: everyChannel(sink), clock, logger: silentLogger(), ...rendering })).toEqual({ delivered: 2, retried: 0, failed: 0 });
    expect(delivered).toEqual([first, second]);
    // The refused push was never tried again.
    expect(store.countEffects({ status: 'failed', type: 'push' })).toBe(1);
    expect(delivered).not.toContain(push);
  });
});
