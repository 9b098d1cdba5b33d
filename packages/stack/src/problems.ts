/** One thing wrong with the registry, located by file (relative to the root) and field. */
export interface Problem {
  file: string
  field: string
  message: string
}

export function formatProblem({ file, field, message }: Problem): string {
  return field ? `${file}: ${field}: ${message}` : `${file}: ${message}`
}

/** Thrown with every problem found, so one run shows everything there is to fix. */
export class RegistryError extends Error {
  readonly problems: readonly Problem[]

  constructor(problems: readonly Problem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    super(
      `invalid app registry (${count}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
    )
    this.name = 'RegistryError'
    this.problems = problems
  }
}
