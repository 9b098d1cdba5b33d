export { createRedis, type RedisClientConfig } from './clients/redis.js'
