/**
 * Checks a JSON object the simulator sends against the Kubernetes API's own definitions, two ways:
 * - every key must be a field of the type in @kubernetes/client-node's generated models (their
 *   attribute maps come from the API's OpenAPI document), recursively — a misspelt or invented
 *   field is reported with its path;
 * - kubernetes-models' `validate()` (JSON schema from the same OpenAPI document) checks the types
 *   and required fields.
 */
import * as k8s from '@kubernetes/client-node';
import { Event as ModelEvent, Pod as ModelPod } from 'kubernetes-models/v1';
import { Deployment as ModelDeployment } from 'kubernetes-models/apps/v1';

type AttributeMap = { name: string; baseName: string; type: string }[];

function attributesOf(type: string): AttributeMap | null {
  const cls = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeMap } | undefined>)[type];
  return cls?.getAttributeTypeMap ? cls.getAttributeTypeMap() : null;
}

/** The paths of keys in `value` that the API type `type` (e.g. `V1Pod`, `CoreV1Event`) does not define. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`)) : [`${path} (not an array)`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return Object.entries(value as object).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`));
  const attributes = attributesOf(type);
  if (!attributes) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path} (not an object)`];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const attribute = attributes.find((a) => a.baseName === key);
    if (!attribute) out.push(`${path}.${key}`);
    else out.push(...unknownFields(v, attribute.type, `${path}.${key}`));
  }
  return out;
}

/** Throws when kubernetes-models' schema refuses the object (wrong type, missing required field). */
export function validateWithModels(object: Record<string, unknown>): void {
  const kind = object.kind;
  const Model = kind === 'Pod' ? ModelPod : kind === 'Event' ? ModelEvent : kind === 'Deployment' ? ModelDeployment : null;
  if (!Model) throw new Error(`no kubernetes-models class for ${String(kind)}`);
  new (Model as unknown as new (data: unknown) => { validate(): void })(object).validate();
}

/** Both checks; returns the unknown field paths (expect it to equal []). */
export function apiShapeProblems(object: Record<string, unknown>): string[] {
  const type = object.kind === 'Event' ? 'CoreV1Event' : `V1${String(object.kind)}`;
  validateWithModels(object);
  return unknownFields(object, type);
}
