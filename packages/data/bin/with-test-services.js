#!/usr/bin/env node
// npm links bins at install time, before anything is built, and skips a bin whose file is
// missing; so the bin is this committed launcher, and the CLI itself is TypeScript in dist.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/with-test-services.js', import.meta.url)
if (!existsSync(cli)) {
  process.stderr.write(
    'with-test-services: @flotilla/data is not built; run `npx turbo run build --filter=@flotilla/data`\n',
  )
  process.exit(1)
}
await import(cli.href)
