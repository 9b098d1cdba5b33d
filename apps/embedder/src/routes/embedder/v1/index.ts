import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '@flotilla/service'
import type { FastifyError, FastifyRequest } from 'fastify'
import { modelList } from '../../../model-list.js'
import { ModelList } from '../../../schemas/embed.js'
import { EmbeddingsRequest, EmbeddingsResponse, OpenAiErrorBody } from '../../../schemas/openai.js'
import { float32Base64 } from '../../../vectors.js'

const errors = {
  400: OpenAiErrorBody,
  404: OpenAiErrorBody,
  413: OpenAiErrorBody,
  500: OpenAiErrorBody,
  503: OpenAiErrorBody,
}

/** An error about one request field, which OpenAI's error body names in `param`. */
class ParamError extends AppError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly param: string,
  ) {
    super(status, code, message)
  }
}

const INPUT_CODES = new Set(['EMPTY_INPUT', 'TOO_MANY_INPUTS', 'INPUT_TOO_LONG'])

function paramOf(error: FastifyError | AppError): string | null {
  if (error instanceof ParamError) return error.param
  if (error instanceof AppError) return INPUT_CODES.has(error.code) ? 'input' : null
  const path = error.validation?.[0]?.instancePath
  return path ? (path.split('/')[1] ?? null) : null
}

/**
 * Refuses OpenAI's token-array inputs before validation, which would coerce the numbers
 * into strings and embed the digits.
 */
async function refuseTokenArrays(request: FastifyRequest): Promise<void> {
  const { input } = (request.body ?? {}) as { input?: unknown }
  if (Array.isArray(input) && input.some((item) => typeof item !== 'string')) {
    throw new ParamError(
      400,
      'UNSUPPORTED_INPUT',
      'token arrays are not supported (they are ids of another tokenizer): send text',
      'input',
    )
  }
}

/** OpenAI-compatible routes: `baseURL` for OpenAI clients is `<origin>/embedder/v1`. */
const openAiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Errors here keep the service's code and message and gain OpenAI's `type` and `param`.
  const params = new WeakMap<FastifyRequest, string | null>()
  const serviceErrorHandler = app.errorHandler
  app.setErrorHandler(function (error: FastifyError, request, reply) {
    params.set(request, paramOf(error))
    return serviceErrorHandler.call(this, error, request, reply)
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (!params.has(request) || typeof payload !== 'string') return payload
    const { error } = JSON.parse(payload) as { error: { code: string; message: string } }
    const type = reply.statusCode >= 500 ? 'server_error' : 'invalid_request_error'
    return JSON.stringify({ error: { ...error, type, param: params.get(request) ?? null } })
  })

  app.post(
    '/embeddings',
    {
      schema: {
        tags: ['openai'],
        body: EmbeddingsRequest,
        response: { 200: EmbeddingsResponse, ...errors },
      },
      preValidation: refuseTokenArrays,
    },
    async (request): Promise<EmbeddingsResponse> => {
      const { input, model, encoding_format: format = 'float', dimensions } = request.body
      if (!app.embeddings.serves(model)) {
        throw new ParamError(
          404,
          'MODEL_NOT_FOUND',
          `model "${model}" is not served here; use "${app.embeddings.modelName}"`,
          'model',
        )
      }
      if (dimensions !== undefined && dimensions !== app.embeddings.dimensions) {
        throw new ParamError(
          400,
          'UNSUPPORTED_OPTION',
          `dimensions is not supported: ${app.embeddings.modelName} gives ${app.embeddings.dimensions}-dimensional vectors only`,
          'dimensions',
        )
      }
      const { vectors, tokenCounts } = await app.embeddings.embed(
        typeof input === 'string' ? [input] : input,
      )
      const tokens = tokenCounts.reduce((sum, count) => sum + count, 0)
      return {
        object: 'list',
        data: vectors.map((vector, index) => ({
          object: 'embedding',
          index,
          embedding: format === 'base64' ? float32Base64(vector) : Array.from(vector),
        })),
        model: app.embeddings.modelName,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      }
    },
  )

  app.get('/models', { schema: { tags: ['openai'], response: { 200: ModelList } } }, async () =>
    modelList(app),
  )
}

export default openAiRoutes
