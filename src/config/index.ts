/** The configuration: its types, how it is loaded and validated, and how it is shown. */
export type * from './types.js';
export { ConfigError, interpolateEnv, loadConfig, resolveConfigPath, validateConfig } from './load.js';
export type { ConfigNotice, ConfigProblem } from './load.js';
export { configSchema } from './schema.js';
export { formatConfig, MASK } from './format.js';
