/** The application: `startApp` assembles the bot, `runApp` runs it as `stormguard run` does. */
export { startApp, type App, type AppOptions } from './start.js';
export { runApp, type RunOptions, type Service } from './run.js';
