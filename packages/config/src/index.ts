export { loadConfig, parseConfig, ConfigError, type Config } from './config.js';
export { envSchema, type Env, isPlaceholderToken } from './env-schema.js';
