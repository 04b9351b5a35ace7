import { renderIncident } from '../core/render.js';
import type { Logger } from '../log.js';
import type { DeliveryContext, EffectSink, PendingEffect } from '../core/delivery.js';

/**
 * The sink used when no Discord is configured: it logs, as JSON, what would have been posted —
 * the rendered incident message for posts and edits, the text of notes and rings.
 */
export function createLogSink(logger: Logger): EffectSink {
  return {
    async deliver(pending: PendingEffect, context: DeliveryContext | null) {
      const { effect } = pending;
      const incident = context?.incident;
      const base = { effectId: pending.id, incidentId: pending.incidentId, subject: incident?.subject, effect: effect.type };
      switch (effect.type) {
        case 'postMessage':
        case 'editMessage':
          logger.info({ ...base, mention: effect.type === 'postMessage' && effect.mention, message: context ? renderIncident(context.view) : null }, 'would post incident message');
          return;
        case 'threadNote':
          logger.info({ ...base, text: effect.text }, 'would add a thread note');
          return;
        case 'ring':
          logger.info({ ...base, reason: effect.reason, text: effect.text }, 'would ring the role');
          return;
        case 'archiveThread':
          logger.info(base, 'would archive the thread');
          return;
        case 'email':
        case 'push':
          logger.info({ ...base, reason: effect.reason }, `would send ${effect.type}`);
          return;
      }
    },
  };
}
