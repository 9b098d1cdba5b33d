import { createServer, Socket } from 'node:net'

export const LOOPBACK = '127.0.0.1'

/** A port the OS considers free right now; callers retry if a server grabs it first. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, LOOPBACK, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not read the port the OS assigned'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}

export function isPortOpen(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
    socket.connect(port, host)
  })
}
