/** The HTTP probe: one GET, success iff the status is the expected one. */
import http from 'node:http';
import https from 'node:https';
import { splitUserinfo } from '../../config/urls.js';
import type { Observation } from '../../core/types.js';
import { formatDuration } from '../../core/duration.js';
import { describeNetworkError } from './format.js';

/** Settings of one HTTP probe (durations in ms). */
export interface HttpProbe {
  url: string;
  timeout: number;
  expectStatus: number;
}

// Kept-alive connections: a cycle probes the same services every time, and opening a connection per
// probe (or fetch's web-stream machinery) costs more CPU than the probe itself at 1,000 targets.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** GETs `url` without following redirects; the detail names the status, never the URL. */
export function probeHttp(target: string, probe: HttpProbe): Promise<Observation> {
  // Credentials in the URL travel as a Basic header, and never reach a detail or a log.
  const { url: plain, authorization } = splitUserinfo(probe.url);
  let url: URL;
  try {
    url = new URL(plain);
  } catch {
    return Promise.resolve({ target, result: 'fail', detail: 'invalid URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.resolve({ target, result: 'fail', detail: 'invalid URL' });
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Observation['result'], detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ target, result, detail });
    };
    const request = client.request(url, { method: 'GET', headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (res) => {
      // The reason phrase helps people ("503 Service Unavailable"); it is the service's text, so it is
      // clipped here and rendered with mentions disabled downstream.
      const status = res.statusCode ?? 0;
      const reason = (res.statusMessage ?? '').trim().slice(0, 60);
      // The body is not part of the verdict; draining it returns the connection to the pool.
      res.resume();
      finish(status === probe.expectStatus ? 'ok' : 'fail', reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`);
    });
    const timer = setTimeout(() => {
      finish('fail', `timeout after ${formatDuration(probe.timeout)}`);
      request.destroy();
    }, probe.timeout);
    request.on('error', (err) => finish('fail', describeNetworkError(err, probe.timeout)));
    request.end();
  });
}
