import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../../src/adapters/http/server.js';
import { silentLogger } from '../../src/log.js';
import { startWorld, type World } from '../helpers/world.js';

let world: World | undefined;
let http: HttpServer | undefined;
afterEach(async () => {
  await http?.close();
  await world?.close();
  world = http = undefined;
});

/** Serves the world's app on loopback, as `stormguard run` serves its own. */
async function serve(w: World): Promise<HttpServer> {
  return startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), registry: w.app.metrics.registry, readiness: () => w.app.readiness() });
}

async function readyz(server: HttpServer): Promise<{ status: number; body: { ready: boolean; checks: Record<string, boolean> } }> {
  const res = await fetch(`${server.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, boolean> } };
}

/** The samples of a Prometheus text exposition: `name{a="b"}` → value. */
async function scrape(server: HttpServer): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

describe('HTTP endpoints', () => {
  it('/healthz answers ok; /readyz is 503 until a cycle ran, then 200; unknown paths are 404', async () => {
    world = await startWorld();
    http = await serve(world);
    const health = await fetch(`${http.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await health.text()).trim()).toBe('ok');

    expect(await readyz(http)).toEqual({ status: 503, body: { ready: false, checks: { database: true, discord: true, scheduler: false } } });
    await world.cycles(1);
    expect(await readyz(http)).toEqual({ status: 200, body: { ready: true, checks: { database: true, discord: true, scheduler: true } } });
    // Two schedule periods (30s each) without a cycle: the scheduler is stuck.
    world.clock.advance(61_000);
    expect((await readyz(http)).body.checks.scheduler).toBe(false);

    expect((await fetch(`${http.url}/nope`)).status).toBe(404);
    expect((await fetch(`${http.url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('/readyz is 503 while Discord is disconnected and when the database is closed', async () => {
    world = await startWorld();
    http = await serve(world);
    await world.cycles(1);
    expect((await readyz(http)).status).toBe(200);

    world.discord.setGatewayDown(true);
    world.discord.dropGateway();
    await expect.poll(() => world!.app.readiness().checks.discord, { timeout: 10_000 }).toBe(false);
    expect(await readyz(http)).toEqual({ status: 503, body: { ready: false, checks: { database: true, discord: false, scheduler: true } } });
    world.discord.setGatewayDown(false);
    await expect.poll(() => world!.app.readiness().ready, { timeout: 10_000 }).toBe(true);
    expect((await readyz(http)).status).toBe(200);

    world.app.store.close();
    expect(await readyz(http)).toEqual({ status: 503, body: { ready: false, checks: { database: false, discord: true, scheduler: true } } });
    // The scrape still works without the database; only the incidents gauge is empty.
    expect((await scrape(http)).has('stormguard_incidents_open{state="open"}')).toBe(false);
  });

  it('/metrics counts checks, refusals, incidents, Discord requests, notifications and cycles', async () => {
    world = await startWorld();
    http = await serve(world);
    world.probe.setStatus(503);
    world.kube.setNodeReady('node-a', 'False');
    await world.cycles(4);

    const m = await scrape(http);
    expect(m.get('stormguard_checks_total{target="frigate",result="fail"}')).toBe(4);
    expect(m.get('stormguard_checks_total{target="hass",result="ok"}')).toBe(4);
    // failureThreshold 2: frigate is down from the 2nd cycle, and the gate refuses every cycle after.
    expect(m.get('stormguard_gate_refusals_total{reason="nodeNotReady",trigger="automatic"}')).toBe(3);
    expect(m.get('stormguard_incidents_open{state="open"}')).toBe(1);
    expect(m.get('stormguard_incidents_open{state="acknowledged"}')).toBe(0);
    expect(m.get('stormguard_cycle_duration_seconds_count')).toBe(4);
    expect(m.get('stormguard_cycle_duration_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(m.get('stormguard_discord_requests_total{outcome="ok"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('stormguard_notifications_total{channel="discord",outcome="delivered"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // What the chart's PrometheusRule alerts on: the last cycle against the period, the outbox.
    expect(m.get('stormguard_last_cycle_completed_timestamp_seconds')).toBe(world.clock.now() / 1000);
    expect(m.get('stormguard_cycle_period_seconds')).toBe(30);
    expect(m.get('stormguard_outbox_pending{channel="discord"}')).toBe(0);
    expect(m.get('stormguard_outbox_pending{channel="email"}')).toBe(0);
    expect(m.get('stormguard_outbox_pending{channel="push"}')).toBe(0);
    expect(m.has('stormguard_restarts_total{result="succeeded",trigger="automatic"}')).toBe(false);
    // Dashboards: which version runs, and each target up (1) or down (0) after its thresholds.
    expect(m.get('stormguard_build_info{version="0.1.0"}')).toBe(1);
    expect(m.get('stormguard_target_up{target="frigate"}')).toBe(0);
    expect(m.get('stormguard_target_up{target="hass"}')).toBe(1);

    // The node returns: after its grace the target is restarted once, automatically.
    world.kube.setNodeReady('node-a', 'True');
    await world.cycles(4);
    const after = await scrape(http);
    expect(after.get('stormguard_restarts_total{result="succeeded",trigger="automatic"}')).toBe(1);
    expect(after.get('stormguard_cycle_duration_seconds_count')).toBe(8);
  });
});
