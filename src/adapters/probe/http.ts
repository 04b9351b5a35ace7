/** The HTTP probe: one GET, success iff the status is the expected one. */
import type { Observation } from '../../core/types.js';
import { describeNetworkError } from './format.js';

/** Settings of one HTTP probe (durations in ms). */
export interface HttpProbe {
  url: string;
  timeout: number;
  expectStatus: number;
}

/** GETs `url` without following redirects; the detail names the status, never the URL. */
export async function probeHttp(target: string, probe: HttpProbe): Promise<Observation> {
  let url: URL;
  try {
    url = new URL(probe.url);
  } catch {
    return { target, result: 'fail', detail: 'invalid URL' };
  }
  // fetch refuses URLs with credentials: move userinfo into a Basic header instead.
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  try {
    const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(probe.timeout) });
    // Release the connection; the body is not part of the verdict.
    await res.body?.cancel().catch(() => undefined);
    // The reason phrase helps people ("503 Service Unavailable"); it is the service's text, so it is
    // clipped here and rendered with mentions disabled downstream.
    const reason = res.statusText.trim().slice(0, 60);
    return { target, result: res.status === probe.expectStatus ? 'ok' : 'fail', detail: reason ? `HTTP ${res.status} ${reason}` : `HTTP ${res.status}` };
  } catch (err) {
    return { target, result: 'fail', detail: describeNetworkError(err, probe.timeout) };
  }
}
