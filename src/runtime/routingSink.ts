import type { Incident } from '../core/types.js';
import type { PendingEffect } from '../adapters/sqlite/store.js';
import type { EffectSink } from './outbox.js';

/** Which sink carries which effect type; unlisted types go to `fallback`. */
export type SinkRoutes = Partial<Record<PendingEffect['effect']['type'], EffectSink>>;

/** One sink that hands each effect to the sink for its channel (Discord, email, push, log). */
export function createRoutingSink(routes: SinkRoutes, fallback: EffectSink): EffectSink {
  return {
    deliver(pending: PendingEffect, incident: Incident | null) {
      return (routes[pending.effect.type] ?? fallback).deliver(pending, incident);
    },
  };
}
