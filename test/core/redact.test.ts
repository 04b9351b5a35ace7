import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from '../../src/core/redact.js';

/** A secret value as people and tools make them: 12–40 characters of letters, digits and a few signs. */
const secretValue = fc.stringMatching(/^[A-Za-z0-9]{6}[A-Za-z0-9!#%*+\-._~]{6,34}$/);
const hex = fc.stringMatching(/^[0-9a-f]{32,64}$/);

/** Each secret shape, placed in context as a Kubernetes message would carry it; `value` must not survive. */
const shapes = fc.oneof(
  fc.record({ value: secretValue, key: fc.constantFrom('password', 'PASSWORD', 'db_password', 'passwd', 'token', 'api_key', 'apiKey', 'secret', 'client-secret') }).map(({ value, key }) => ({ value, text: `${key}=${value}` })),
  fc.record({ value: secretValue, key: fc.constantFrom('password', 'token') }).map(({ value, key }) => ({ value, text: `"${key}": "${value}"` })),
  fc.record({ value: secretValue, scheme: fc.constantFrom('Bearer', 'Basic', 'token') }).map(({ value, scheme }) => ({ value, text: `Authorization: ${scheme} ${value}` })),
  fc.record({ value: secretValue, user: fc.stringMatching(/^[a-z]{1,8}$/) }).map(({ value, user }) => ({ value, text: `https://${user}:${value}@registry.example:5000/v2/` })),
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{10,30}$/), fc.stringMatching(/^[A-Za-z0-9_-]{10,60}$/), fc.stringMatching(/^[A-Za-z0-9_-]{20,43}$/)).map(([a, b, c]) => ({ value: `${b}.${c}`, text: `eyJ${a}.${b}.${c}` })),
  fc.stringMatching(/^[A-Za-z0-9+/]{60,200}$/).map((body) => ({ value: body, text: `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----` })),
  hex.map((value) => ({ value, text: value })),
  fc.stringMatching(/^[A-Za-z0-9]{36}$/).map((rest) => ({ value: rest, text: `ghp_${rest}` })),
);

/** Surrounding text: anything, ending and starting with a separator so it does not become part of the secret. */
const around = fc.string({ maxLength: 60 }).map((s) => s.replace(/[A-Za-z0-9+/=._~!#%*-]+$/, ''));

describe('redactSecrets', () => {
  it('leaves no secret of any shape, whatever text surrounds it', () => {
    fc.assert(
      fc.property(around, shapes, around, (before, { value, text }, after) => {
        fc.pre(!before.includes(value) && !after.includes(value));
        const out = redactSecrets(`${before} ${text} ${after}`);
        expect(out).not.toContain(value);
        expect(out).toContain(REDACTED);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the sentence around a secret, so it still says what went wrong', () => {
    expect(redactSecrets('Failed to pull image "registry.example/frigate:0.14": unauthorized: https://bot:hunter2hunter2@registry.example/v2/')).toBe(
      `Failed to pull image "registry.example/frigate:0.14": unauthorized: https://${REDACTED}@registry.example/v2/`,
    );
    expect(redactSecrets('Readiness probe failed: Get "http://10.42.0.7:5000/api": Authorization: Bearer abc.def.ghi refused')).toBe(
      `Readiness probe failed: Get "http://10.42.0.7:5000/api": Authorization: ${REDACTED} refused`,
    );
    expect(redactSecrets('env MQTT_PASSWORD=s3cr3t-value not set')).toBe(`env MQTT_PASSWORD=${REDACTED} not set`);
  });

  it('changes nothing a Kubernetes message says that is not secret', () => {
    for (const text of [
      'Back-off pulling image "ghcr.io/blakeblackshear/frigate:0.14"',
      'secret "frigate-mqtt" not found',
      '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
      'Multi-Attach error for volume "pvc-0a1b2c3d" Volume is already exclusively attached to one node and can\'t be attached to another',
      'Successfully pulled image "frigate@sha256:0f8a5c1e9b2d4a6f8e0c2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6" in 1.2s',
      'MountVolume.SetUp failed for volume "config" : configmap "frigate-config" not found',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});
