import type { Logger } from '../log.js';

/** A background loop that delivers the outbox, woken after each cycle and polled while effects wait. */
export interface DeliveryLoop {
  /** Asks for a delivery pass as soon as the current one (if any) is done. */
  wake(): void;
  /** Stops the loop after the pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `deliver` in the background so a slow or failing receiver (Discord rate limits, an SMTP
 * timeout) never delays a check cycle; between passes it sleeps `pollMs` or until woken.
 */
export function startDeliveryLoop(deliver: () => Promise<unknown>, options: { pollMs: number; logger: Logger }): DeliveryLoop {
  let running = true;
  let wakeUp: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;

  const loop = (async () => {
    while (running) {
      try {
        await deliver();
      } catch (err) {
        options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'delivery pass failed');
      }
      if (!running) break;
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, options.pollMs);
      });
      if (timer) clearTimeout(timer);
      wakeUp = null;
    }
  })();

  return {
    wake() {
      wakeUp?.();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
    },
  };
}
