import type { FastifyInstance } from 'fastify'
import type { ModelList } from './schemas/embed.js'

/** The one served model, in OpenAI's list shape with what a client needs to know of it. */
export function modelList({ embeddings }: FastifyInstance): ModelList {
  return {
    object: 'list',
    data: [
      {
        id: embeddings.modelName,
        object: 'model',
        owned_by: 'flotilla',
        aliases: embeddings.aliases,
        dimensions: embeddings.dimensions,
        max_tokens: embeddings.maxTokens,
      },
    ],
  }
}
