import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { mlErrorResponses } from '@flotilla/ml-service'
import { PredictRequest, PredictResponse } from '../../schemas/predict.js'

const classifierRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/predict',
    {
      schema: {
        tags: ['classification'],
        body: PredictRequest,
        response: { 200: PredictResponse, ...mlErrorResponses },
      },
    },
    async (request) => {
      const { inputs, top_k: topK, truncate } = request.body
      const texts = typeof inputs === 'string' ? [inputs] : inputs
      const predictions = await app.classifications.classify(texts, { topK, truncate })
      return typeof inputs === 'string' ? (predictions[0] ?? []) : predictions
    },
  )
}

export default classifierRoutes
