import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startDeliveryLoop } from '../../src/runtime/deliveryLoop.js';
import { oneAtATime } from '../../src/runtime/oneAtATime.js';

describe('oneAtATime', () => {
  it('never runs two passes at once, and runs every requested pass in order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const order: number[] = [];
    let n = 0;
    const pass = oneAtATime(async () => {
      const mine = ++n;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      order.push(mine);
      inFlight--;
      return mine;
    });
    const results = await Promise.all([pass(), pass(), pass()]);
    expect(results).toEqual([1, 2, 3]);
    expect(order).toEqual([1, 2, 3]);
    expect(maxInFlight).toBe(1);
  });

  it('keeps going after a failed pass', async () => {
    let calls = 0;
    const pass = oneAtATime(async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return calls;
    });
    await expect(pass()).rejects.toThrow('boom');
    await expect(pass()).resolves.toBe(2);
  });
});

describe('startDeliveryLoop', () => {
  it('delivers at start, again when woken, and stops after the pass in progress', async () => {
    let passes = 0;
    let resolveSecond: () => void = () => undefined;
    const second = new Promise<void>((r) => (resolveSecond = r));
    const loop = startDeliveryLoop(
      async () => {
        passes++;
        if (passes === 2) resolveSecond();
      },
      { pollMs: 60_000, logger: silentLogger() },
    );
    await new Promise((r) => setImmediate(r));
    expect(passes).toBe(1);
    loop.wake();
    await second;
    await loop.stop();
    expect(passes).toBe(2);
  });
});
