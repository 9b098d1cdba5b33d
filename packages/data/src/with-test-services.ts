#!/usr/bin/env node
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { startTestServices, type TestServices } from './test-services.js'

const NAME = 'with-test-services'
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

function exitCodeFor(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return 128 + (signal ? constants.signals[signal] : 0)
}

/** Starts the test servers, runs the command with their URLs, and always stops them. */
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  if (command === undefined) {
    process.stderr.write(`usage: ${NAME} <command> [args...]\n`)
    return 2
  }

  let interruptedBy: NodeJS.Signals | undefined
  let forwardTo: ((signal: NodeJS.Signals) => void) | undefined
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      interruptedBy ??= signal
      forwardTo?.(signal)
    })
  }

  let services: TestServices
  try {
    services = await startTestServices()
  } catch (error) {
    process.stderr.write(`${NAME}: ${(error as Error).message}\n`)
    return 1
  }
  try {
    if (interruptedBy) return exitCodeFor(null, interruptedBy)
    const { postgres, redis, neo4j } = services
    process.stderr.write(
      `${NAME}: PostgreSQL ${postgres.host}:${postgres.port} (${postgres.source}), ` +
        `Redis ${redis.host}:${redis.port} (${redis.source}), ` +
        `Neo4j ${neo4j.url} (${neo4j.source})\n`,
    )
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...process.env, ...services.env },
    })
    forwardTo = (signal) => child.kill(signal)
    return await new Promise<number>((resolve) => {
      child.once('error', (error) => {
        process.stderr.write(`${NAME}: cannot run "${command}": ${error.message}\n`)
        resolve(127)
      })
      child.once('exit', (code, signal) => resolve(exitCodeFor(code, signal)))
    })
  } finally {
    await services.stop()
  }
}

process.exit(await main(process.argv.slice(2)))
