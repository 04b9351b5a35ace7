import { describe, expect, it } from 'vitest';
import { describeKubeError } from '../../src/adapters/kube/errors.js';
import { describeNetworkError } from '../../src/adapters/probe/format.js';

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.7:443 user:hunter2`), { code });

describe('network failures read the same from a probe and from the Kubernetes API', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset'],
    ['ENOTFOUND', 'DNS lookup failed'],
    ['EAI_AGAIN', 'DNS lookup failed'],
    ['EHOSTUNREACH', 'host unreachable'],
    ['ENETUNREACH', 'host unreachable'],
    ['ETIMEDOUT', 'timeout after 5s'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout after 5s'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS error (ERR_TLS_CERT_ALTNAME_INVALID)'],
  ])('%s is “%s” for both, with no address or credentials', (code, phrase) => {
    expect(describeNetworkError(socketError(code), 5000)).toBe(phrase);
    expect(describeKubeError(socketError(code), 5000)).toBe(phrase);
  });

  it('says a bounded request timed out after its bound, for both', () => {
    const aborted = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    expect(describeNetworkError(aborted, 2000)).toBe('timeout after 2s');
    expect(describeKubeError(aborted, 2000)).toBe('timeout after 2s');
  });

  it('finds the code fetch wraps in `cause`', () => {
    expect(describeNetworkError(new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') }), 5000)).toBe('connection refused');
  });
});
