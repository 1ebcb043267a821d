export { loadConfig, parseConfig, ConfigError, type Config } from './config.js';
export { API_KEY_PREFIX, envSchema, type Env, isPlaceholderToken, splitList } from './env-schema.js';
