import { once } from 'node:events'
import net from 'node:net'

/**
 * A TCP relay in front of a real server that a test can cut and restore, to prove how a
 * service behaves while its store is unreachable and after it returns — without stopping a
 * server other tests share.
 */
export interface OutageProxy {
  /** Same host and port before and after an outage, so clients can reconnect. */
  port: number
  /** Rewrites `url` (postgres://…, redis://…) to go through the proxy. */
  wrap(url: string): string
  /** Drops every open connection and refuses new ones. */
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startOutageProxy(target: {
  host: string
  port: number
}): Promise<OutageProxy> {
  const sockets = new Set<net.Socket>()
  let server: net.Server | undefined

  const listen = async (port: number): Promise<number> => {
    server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host)
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream).pipe(client)
    })
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    return (server.address() as net.AddressInfo).port
  }

  const stop = async (): Promise<void> => {
    if (!server) return
    const closing = server
    server = undefined
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => closing.close(() => resolve()))
  }

  const port = await listen(0)
  return {
    port,
    wrap(url) {
      const parsed = new URL(url)
      parsed.hostname = '127.0.0.1'
      parsed.port = String(port)
      return parsed.toString()
    },
    cut: stop,
    async restore() {
      if (!server) await listen(port)
    },
    close: stop,
  }
}
