import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { mlErrorResponses } from '@flotilla/ml-service'
import { AppError } from '@flotilla/service'
import { modelList } from '../../model-list.js'
import { EmbedRequest, EmbedResponse, ModelList } from '../../schemas/embed.js'

/** Text Embeddings Inference style routes. */
const embedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/embed',
    {
      schema: {
        tags: ['embeddings'],
        body: EmbedRequest,
        response: { 200: EmbedResponse, ...mlErrorResponses },
      },
    },
    async (request) => {
      const { inputs, truncate, normalize } = request.body
      if (!normalize) {
        throw new AppError(
          400,
          'UNSUPPORTED_OPTION',
          'normalize=false is not supported: this server returns unit-length vectors only',
        )
      }
      const texts = typeof inputs === 'string' ? [inputs] : inputs
      const { vectors } = await app.embeddings.embed(texts, { truncate })
      return vectors.map((vector) => Array.from(vector))
    },
  )

  app.get('/models', { schema: { tags: ['embeddings'], response: { 200: ModelList } } }, async () =>
    modelList(app),
  )
}

export default embedRoutes
