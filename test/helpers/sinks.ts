import type { EffectSink, Sinks } from '../../src/core/delivery.js';

/** The same sink on every channel: a test that records or logs every effect, whatever its channel. */
export function everyChannel(sink: EffectSink): Sinks {
  return { discord: sink, email: sink, push: sink };
}
