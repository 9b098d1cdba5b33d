import { Socket } from 'node:net'

function command(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`
}

/**
 * Resolves once Redis accepts the password (the `default` user's, or `user`'s) and answers
 * PING; rejects with Redis's own error (LOADING while it replays its data).
 */
export function pingRedis(
  host: string,
  port: number,
  password: string,
  user?: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket()
    let replies = ''
    const finish = (error?: Error) => {
      socket.destroy()
      if (error) reject(error)
      else resolve()
    }
    socket.setTimeout(2000, () => finish(new Error('no answer to PING within 2 s')))
    socket.on('error', finish)
    socket.on('data', (chunk) => {
      replies += chunk.toString('utf8')
      const failure = /^-(.*)\r\n/m.exec(replies)
      if (failure) finish(new Error(failure[1]))
      else if (replies.includes('+PONG\r\n')) finish()
    })
    const auth = user === undefined ? command('AUTH', password) : command('AUTH', user, password)
    socket.connect(port, host, () => socket.write(auth + command('PING')))
  })
}
