export { createRedis, type RedisClientConfig } from './client.js'
