/**
 * Errors an app maps to HTTP answers: each carries the status it stands for and a stable
 * code for the `{"error":{"code","message"}}` body.
 */
export class MlError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly statusCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The batch queue is full: answer 503 with `Retry-After: retryAfterSeconds`. */
export class QueueFullError extends MlError {
  constructor(readonly retryAfterSeconds: number) {
    super(`inference queue is full; retry in ${retryAfterSeconds}s`, 'queue_full', 503)
  }
}

/** An input is longer than the model takes and the caller asked not to truncate: 413. */
export class InputTooLongError extends MlError {
  constructor(
    readonly index: number,
    readonly maxTokens: number,
  ) {
    super(
      `input ${index} is longer than the model's ${maxTokens} tokens and truncation is off`,
      'input_too_long',
      413,
    )
  }
}

/** The model file could not be loaded (missing, corrupt, wrong format). */
export class ModelLoadError extends MlError {
  constructor(modelPath: string, reason: string) {
    super(`cannot load model ${modelPath}: ${reason}`, 'model_load_failed', 500)
  }
}

/** Inference failed: the session threw, the worker crashed, or the run timed out. */
export class InferenceError extends MlError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'inference_failed', 500, options)
  }
}
