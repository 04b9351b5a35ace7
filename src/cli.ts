import { parseArgs } from 'node:util';
import { ConfigError, formatConfig, loadConfig, type ConfigNotice } from './config/index.js';
import type { Config } from './config/types.js';
import { openDatabase } from './adapters/sqlite/open.js';
import { createStore } from './adapters/sqlite/store.js';
import { createLogger } from './log.js';
import { runApp } from './runtime/app/index.js';
import { exportIncident } from './runtime/export.js';
import { isExportFormat, type ExportFormat } from './core/export.js';
import { version } from './version.js';

/** Where the CLI writes and what environment it reads; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT); `run` waits on it. */
  stopSignal?: Promise<void>;
}

const USAGE = `Usage: stormguard <command> [--config PATH]

Commands:
  run                 watch the cluster and handle incidents (what \`npm start\` runs)
  check-config        validate the configuration and print it with secrets masked
  migrate             apply database migrations and exit
  register-commands   register the slash commands in the Discord guild
  doctor              check the setup online (Discord, Kubernetes RBAC, email, ntfy, heartbeat)
  demo                play the motivating outage against simulated Kubernetes and Discord
  export ID           print incident ID's timeline for the post-mortem (Markdown, or --format json)

Options:
  --config PATH       configuration file (default: $STORMGUARD_CONFIG, else ./stormguard.yaml)
  --send-test         doctor: also post a quiet test message, send a test mail, ping the heartbeat
  --html FILE         demo: also write the channel as a Discord-like web page
  --format md|json    export: Markdown post-mortem skeleton (default) or JSON (stormguard.incident/v1)
  --version           print the version
  -h, --help          show this help

Exit status: 0 ok, 2 configuration or usage error, 1 anything else.
`;

/** Runs the command line and resolves with the exit status (0 ok, 2 configuration/usage error, 1 other). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' }, 'send-test': { type: 'boolean' }, html: { type: 'string' }, format: { type: 'string' } } });
  } catch (err) {
    io.stderr.write(`usage error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (parsed.values.version || command === 'version') {
    io.stdout.write(`stormguard ${version()}\n`);
    return 0;
  }
  if (parsed.values['send-test'] && command !== 'doctor') {
    io.stderr.write(`usage error: --send-test belongs to doctor\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.html !== undefined && command !== 'demo') {
    io.stderr.write(`usage error: --html belongs to demo\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.format !== undefined && command !== 'export') {
    io.stderr.write(`usage error: --format belongs to export\n\n${USAGE}`);
    return 2;
  }
  if (command === 'export') {
    const request = exportRequest(rest, parsed.values.format);
    if (typeof request === 'string') {
      io.stderr.write(`usage error: ${request}\n\n${USAGE}`);
      return 2;
    }
    try {
      return exportCommand(load(parsed.values.config, io), request, io);
    } catch (err) {
      return failed(err, io);
    }
  }
  if (!command || rest.length > 0) {
    io.stderr.write(`usage error: ${command ? `unexpected argument ${rest[0]}` : 'missing command'}\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (command) {
      case 'check-config':
        io.stdout.write(formatConfig(load(parsed.values.config, io)));
        return 0;
      case 'migrate':
        return migrateCommand(load(parsed.values.config, io), io);
      case 'run': {
        // The log starts with the logger, after loading: what loading noticed waits for it.
        const notices: ConfigNotice[] = [];
        return await runCommand(load(parsed.values.config, io, (n) => notices.push(n)), io, notices);
      }
      case 'register-commands':
        return await registerCommandsCommand(load(parsed.values.config, io), io);
      case 'doctor': {
        const config = load(parsed.values.config, io);
        const { runDoctor } = await import('./doctor/index.js');
        return await runDoctor({ config, env: io.env, sendTest: parsed.values['send-test'] === true }, io.stdout);
      }
      case 'demo':
        // The demo brings its own simulated cluster and Discord; it needs no configuration.
        // Loaded on demand: the simulators are not part of a normal run.
        await (await import('./demo/index.js')).runDemo(io.stdout, parsed.values.html ? { html: parsed.values.html } : {});
        return 0;
      default:
        io.stderr.write(`usage error: unknown command “${command}”\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    return failed(err, io);
  }
}

/** Says why a command failed and gives its exit status: 2 for a configuration error, 1 for anything else. */
function failed(err: unknown, io: Pick<CliIo, 'stderr'>): number {
  if (err instanceof ConfigError) {
    io.stderr.write(`${err.message}\n`);
    return 2;
  }
  io.stderr.write(`error: ${describe(err)}\n`);
  return 1;
}

/** Loads the configuration; what loading noticed goes to `onNotice`, by default one `note:` line on stderr (stdout may be YAML). */
function load(path: string | undefined, io: CliIo, onNotice = (n: ConfigNotice): void => void io.stderr.write(`note: ${n.message}\n`)): Config {
  return loadConfig({ path, env: io.env, onNotice });
}

/** The incident and format `stormguard export` names, or the usage error. */
function exportRequest(args: string[], format: string | undefined): { id: number; format: ExportFormat } | string {
  if (args.length === 0) return 'export needs an incident number';
  if (args.length > 1) return `unexpected argument ${args[1]}`;
  const id = Number(args[0]!.replace(/^#/, ''));
  if (!Number.isSafeInteger(id) || id <= 0) return `“${args[0]}” is not an incident number`;
  const chosen = format ?? 'md';
  if (!isExportFormat(chosen)) return `--format must be md or json, not “${chosen}”`;
  return { id, format: chosen };
}

/** `stormguard export ID`: prints the incident's export from the database; 1 when there is no such incident. */
function exportCommand(config: Config, request: { id: number; format: ExportFormat }, io: CliIo): number {
  const store = createStore(openDatabase(config.database.path));
  try {
    const text = exportIncident(store, config, request.id, request.format);
    if (text === null) {
      io.stderr.write(`error: there is no incident #${request.id} in ${config.database.path}\n`);
      return 1;
    }
    io.stdout.write(text);
    return 0;
  } finally {
    store.close();
  }
}

function migrateCommand(config: Config, io: CliIo): number {
  const db = openDatabase(config.database.path, {
    onMigrated: (r) => io.stdout.write(r.from === r.to ? `database ${config.database.path} is at schema version ${r.to}\n` : `database ${config.database.path} migrated from version ${r.from} to ${r.to}\n`),
  });
  createStore(db).close();
  return 0;
}

/**
 * `stormguard run`: serves HTTP at once, waits for the single-instance Lease, then cycles until
 * SIGTERM/SIGINT; stopping finishes the cycle in progress, releases the Lease and closes the database.
 */
async function runCommand(config: Config, io: CliIo, notices: readonly ConfigNotice[]): Promise<number> {
  // Listen for SIGTERM before doing anything, so a stop during start-up is graceful too.
  const stopping = io.stopSignal ?? stopSignal();
  const logger = createLogger({ destination: io.stdout });
  for (const notice of notices) logger.info({ variables: notice.variables }, notice.message);
  const service = await runApp({ config, logger, env: io.env });
  logger.info({ targets: config.targets.length, schedule: config.schedule, discord: config.discord ? 'configured' : 'not configured (logging only)' }, 'stormguard started');
  let status = 0;
  try {
    await Promise.race([stopping, service.failed]);
    logger.info('stopping: finishing the cycle in progress');
  } catch (err) {
    logger.error({ err: describe(err) }, 'cannot lead; stopping');
    status = 1;
  }
  await service.close();
  logger.info('stopped');
  return status;
}

/** `stormguard register-commands`: bulk-overwrites the guild's slash commands. */
async function registerCommandsCommand(config: Config, io: CliIo): Promise<number> {
  if (!config.discord) {
    io.stderr.write('config error: discord: register-commands needs the discord section\n');
    return 2;
  }
  const [{ createRest, registerGuildCommands }, { COMMANDS }] = await Promise.all([import('./adapters/discord/client.js'), import('../commands/index.js')]);
  const names = await registerGuildCommands(createRest(config.discord), config.discord.guildId, [...COMMANDS.values()].map((c) => c.definition));
  io.stdout.write(`registered ${names.length} commands in guild ${config.discord.guildId}: ${names.map((n) => `/${n}`).join(', ')}\n`);
  return 0;
}

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** A one-line description of an error with its causes, without a stack trace. */
function describe(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  while (current && parts.length < 4) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}
