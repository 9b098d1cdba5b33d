// The part of autocannon's API the bench uses (the package ships no types).
declare module 'autocannon' {
  interface Options {
    url: string
    connections?: number
    duration?: number
  }
  interface Histogram {
    p50: number
    p99: number
    total: number
  }
  interface Result {
    /** Seconds the run lasted. */
    duration: number
    requests: Histogram
    /** Milliseconds. */
    latency: Histogram
    non2xx: number
    errors: number
    timeouts: number
  }
  export default function autocannon(options: Options): Promise<Result>
}
