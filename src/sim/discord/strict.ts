/**
 * Deep "strict" copies of zod schemas: every object schema reachable from the root rejects keys it
 * does not declare.
 *
 * Why not `setStrictObject(true)` from `discord-api-spec/zod`: it only swaps the factory used while
 * that module is being evaluated, and an ES module is fully evaluated before any importer can call
 * it, so it never affects the exported schemas. Rebuilding the tree is the only reliable way.
 */
import * as z from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';

const memo = new WeakMap<$ZodType, $ZodType>();

/** Returns a copy of `schema` in which every nested object schema is strict; checks are preserved. */
export function strictDeep<T extends $ZodType>(schema: T): T {
  const hit = memo.get(schema);
  if (hit) return hit as T;
  // The def shapes differ per schema kind; zod exposes them only as loosely typed records.
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  let out: $ZodType;
  switch (def.type) {
    case 'object': {
      const shape: Record<string, $ZodType> = {};
      for (const [key, value] of Object.entries(def['shape'] as Record<string, $ZodType>)) shape[key] = strictDeep(value);
      out = z.clone(schema, { ...def, shape, catchall: z.never() } as T['_zod']['def']);
      break;
    }
    case 'lazy': {
      // Recursion in the spec always goes through z.lazy, so deferring here breaks every cycle.
      const getter = def['getter'] as () => $ZodType;
      out = z.lazy(() => strictDeep(getter()));
      break;
    }
    case 'optional':
    case 'nullable':
    case 'nonoptional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      out = z.clone(schema, { ...def, innerType: strictDeep(def['innerType'] as $ZodType) } as T['_zod']['def']);
      break;
    case 'array':
      out = z.clone(schema, { ...def, element: strictDeep(def['element'] as $ZodType) } as T['_zod']['def']);
      break;
    case 'union':
      out = z.clone(schema, { ...def, options: (def['options'] as $ZodType[]).map(strictDeep) } as T['_zod']['def']);
      break;
    case 'intersection':
      out = z.clone(schema, {
        ...def,
        left: strictDeep(def['left'] as $ZodType),
        right: strictDeep(def['right'] as $ZodType),
      } as T['_zod']['def']);
      break;
    case 'record':
      out = z.clone(schema, { ...def, valueType: strictDeep(def['valueType'] as $ZodType) } as T['_zod']['def']);
      break;
    case 'tuple':
      out = z.clone(schema, {
        ...def,
        items: (def['items'] as $ZodType[]).map(strictDeep),
        rest: def['rest'] ? strictDeep(def['rest'] as $ZodType) : null,
      } as T['_zod']['def']);
      break;
    case 'pipe':
      out = z.clone(schema, {
        ...def,
        in: strictDeep(def['in'] as $ZodType),
        out: strictDeep(def['out'] as $ZodType),
      } as T['_zod']['def']);
      break;
    default:
      // Leaves (strings, numbers, literals, enums…) cannot carry unknown keys.
      out = schema;
  }
  memo.set(schema, out);
  return out as T;
}
