import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

const CGROUP_CPU_MAX = '/sys/fs/cgroup/cpu.max'

/**
 * CPUs this process may really use: the cgroup v2 quota (what `docker run --cpus` sets),
 * rounded down, never above the visible cores; the visible cores when there is no quota.
 */
export function cpuQuota(cpuMaxPath = CGROUP_CPU_MAX): number {
  const cores = availableParallelism()
  let content: string
  try {
    content = readFileSync(cpuMaxPath, 'utf8')
  } catch {
    return cores
  }
  const [quota, period] = content.trim().split(/\s+/)
  if (quota === undefined || quota === 'max' || period === undefined) return cores
  const cpus = Number(quota) / Number(period)
  if (!Number.isFinite(cpus) || cpus <= 0) return cores
  return Math.max(1, Math.min(cores, Math.floor(cpus)))
}
