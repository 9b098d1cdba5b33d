import { mlServiceProperties } from '@flotilla/ml-service'
import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

export const classifierConfigSchema = serviceConfig({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3102 }),
  /** MODEL_DIR holds a sequence-classification ONNX export. */
  ...mlServiceProperties(),
})

export type ClassifierConfig = Static<typeof classifierConfigSchema>
