/**
 * The gateway: plain-JSON WebSocket sessions as discord.js 14 (via @discordjs/ws, without
 * zlib-sync) speaks them. HELLO → IDENTIFY → READY + GUILD_CREATE; heartbeats are acknowledged;
 * every dispatch carries a sequence number and is kept, so a RESUME replays what the client missed.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { DiscordModel } from './model.js';

/** Gateway intents the simulator checks before dispatching (Discord's bit values). */
export const INTENT = { guilds: 1 << 0, guildMembers: 1 << 1 } as const;

const OP = { dispatch: 0, heartbeat: 1, identify: 2, resume: 6, invalidSession: 9, hello: 10, heartbeatAck: 11 } as const;

/** Counters tests use to see what the client did. */
export interface GatewayStats {
  connections: number;
  /** Handshakes refused while the gateway was down. */
  refused: number;
  identifies: number;
  resumes: number;
  /** Dispatches re-sent because of a RESUME. */
  replayed: number;
}

interface Session {
  id: string;
  seq: number;
  /** Every dispatch of the session, kept for RESUME. */
  sent: Array<{ s: number; t: string; d: unknown }>;
  socket: WebSocket | null;
}

/** Gateway options. */
export interface GatewayOptions {
  model: DiscordModel;
  botToken: string;
  heartbeatIntervalMs: number;
}

/** One bot's gateway (a single shard). */
export class Gateway {
  readonly stats: GatewayStats = { connections: 0, refused: 0, identifies: 0, resumes: 0, replayed: 0 };
  private readonly wss = new WebSocketServer({ noServer: true });
  private session: Session | null = null;
  private down = false;
  private baseUrl = '';
  private readyWaiters: Array<() => void> = [];
  /** The intents of the last IDENTIFY: events outside them are never sent, as Discord never sends them. */
  private intents = 0;

  constructor(private readonly options: GatewayOptions) {}

  /** The URL `GET /gateway/bot` hands out. */
  url(): string {
    return `${this.baseUrl}/gateway`;
  }

  /** Sets the ws:// origin once the HTTP server listens. */
  setOrigin(httpOrigin: string): void {
    this.baseUrl = httpOrigin.replace(/^http/, 'ws');
  }

  /** Handles an HTTP upgrade aimed at the gateway. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (!url.pathname.startsWith('/gateway') || this.down) {
      // What a client sees from an outage: the handshake fails.
      if (this.down) this.stats.refused++;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, url));
  }

  /** True when a client holds an identified or resumed connection. */
  connected(): boolean {
    return this.session?.socket?.readyState === 1;
  }

  /** Resolves once a session is live (READY or RESUMED sent). */
  whenConnected(): Promise<void> {
    if (this.connected()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends (or, while disconnected, queues for RESUME) a dispatch event. */
  dispatch(t: string, d: unknown): void {
    const session = this.session;
    if (!session) throw new Error('discord simulator: no gateway session (has the bot logged in?)');
    const event = { s: ++session.seq, t, d };
    session.sent.push(event);
    // Discord too keeps only a bounded backlog for resuming.
    if (session.sent.length > 1000) session.sent.shift();
    if (session.socket?.readyState === 1) session.socket.send(JSON.stringify({ op: OP.dispatch, ...event }));
  }

  /**
   * Dispatches a guild event the way Discord decides who gets it: only to an identified session, and
   * only when its intents include `intent` (null: sent regardless, as a GUILD_MEMBER_UPDATE of the
   * bot itself is sent without the privileged GUILD_MEMBERS intent). Returns whether it was sent.
   */
  dispatchGuildEvent(t: string, d: unknown, intent: number | null): boolean {
    if (!this.session) return false;
    if (intent !== null && (this.intents & intent) === 0) return false;
    this.dispatch(t, d);
    return true;
  }

  /** Drops the live connection: `code` closes cleanly with it, otherwise the TCP socket dies (1006). */
  drop(code?: number): void {
    const socket = this.session?.socket;
    if (!socket) return;
    if (code === undefined) socket.terminate();
    else socket.close(code, 'simulated drop');
  }

  /** While down, live connections die and new handshakes fail. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const ws of this.wss.clients) ws.terminate();
  }

  /** Closes every connection. */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private open(ws: WebSocket, url: URL): void {
    this.stats.connections++;
    if (url.searchParams.get('v') !== '10') {
      ws.close(4012, 'Invalid API version');
      return;
    }
    if (url.searchParams.get('encoding') !== 'json' || url.searchParams.has('compress')) {
      // Only what discord.js sends without zlib-sync is implemented.
      ws.close(4002, 'Decode error');
      return;
    }
    ws.on('message', (data) => this.receive(ws, data));
    ws.on('close', () => {
      if (this.session?.socket === ws) this.session.socket = null;
    });
    ws.send(JSON.stringify({ op: OP.hello, d: { heartbeat_interval: this.options.heartbeatIntervalMs } }));
  }

  private receive(ws: WebSocket, data: RawData): void {
    let payload: { op?: number; d?: Record<string, unknown> | number | null };
    try {
      payload = JSON.parse(data.toString()) as typeof payload;
    } catch {
      ws.close(4002, 'Decode error');
      return;
    }
    const d = typeof payload.d === 'object' && payload.d !== null ? payload.d : {};
    switch (payload.op) {
      case OP.heartbeat:
        ws.send(JSON.stringify({ op: OP.heartbeatAck }));
        return;
      case OP.identify:
        this.identify(ws, d);
        return;
      case OP.resume:
        this.resume(ws, d);
        return;
      default:
        // Presence updates, member requests… are accepted and ignored.
        return;
    }
  }

  private identify(ws: WebSocket, d: Record<string, unknown>): void {
    if (d['token'] !== this.options.botToken) {
      ws.close(4004, 'Authentication failed');
      return;
    }
    this.stats.identifies++;
    this.intents = typeof d['intents'] === 'number' ? d['intents'] : 0;
    this.session?.socket?.terminate();
    const { model } = this.options;
    this.session = { id: randomBytes(16).toString('hex'), seq: 0, sent: [], socket: ws };
    this.dispatch('READY', {
      v: 10,
      user: { ...model.bot, verified: true, mfa_enabled: false, flags: 0 },
      // The guild is announced unavailable, so discord.js waits for its GUILD_CREATE before `clientReady`.
      guilds: model.access.botInGuild ? [{ id: model.options.guildId, unavailable: true }] : [],
      session_id: this.session.id,
      session_type: 'normal',
      resume_gateway_url: this.url(),
      shard: [0, 1],
      application: { id: model.options.applicationId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      user_settings: {},
      auth: {},
    });
    if (model.access.botInGuild) this.dispatch('GUILD_CREATE', model.guildCreate());
    this.wakeReady();
  }

  private resume(ws: WebSocket, d: Record<string, unknown>): void {
    const session = this.session;
    if (!session || d['session_id'] !== session.id || d['token'] !== this.options.botToken) {
      // d: false — the session cannot be resumed; discord.js then identifies afresh.
      ws.send(JSON.stringify({ op: OP.invalidSession, d: false }));
      return;
    }
    this.stats.resumes++;
    if (session.socket && session.socket !== ws) session.socket.terminate();
    session.socket = ws;
    const after = typeof d['seq'] === 'number' ? d['seq'] : 0;
    for (const event of session.sent) {
      if (event.s <= after) continue;
      this.stats.replayed++;
      ws.send(JSON.stringify({ op: OP.dispatch, ...event }));
    }
    this.dispatch('RESUMED', {});
    this.wakeReady();
  }

  private wakeReady(): void {
    for (const wake of this.readyWaiters.splice(0)) wake();
  }
}
