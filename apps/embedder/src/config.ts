import { mlServiceProperties } from '@flotilla/ml-service'
import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

export const embedderConfigSchema = serviceConfig({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3101 }),
  /** MODEL_DIR holds a sentence-transformers ONNX export. */
  ...mlServiceProperties(),
  /** Other names accepted for the model, comma-separated. */
  MODEL_ALIASES: Type.String({ default: '' }),
  /**
   * Key of the callers' tokens (`appToken('embedder', secret, app, {})`, handed to each app as
   * EMBEDDER_TOKEN by the provisioner); without it the collection routes answer 503.
   */
  EMBEDDER_CALLER_SECRET: Type.Optional(Type.String({ minLength: 32 })),
})

export type EmbedderConfig = Static<typeof embedderConfigSchema>
