import { AppError } from '@flotilla/service'

export interface InputLimits {
  maxInputs: number
  maxInputChars: number
}

/** Refuses a request before any work: no inputs, too many, or one too long to tokenize. */
export function checkInputs(texts: string[], { maxInputs, maxInputChars }: InputLimits): void {
  if (texts.length === 0) throw new AppError(400, 'EMPTY_INPUT', 'no inputs given')
  if (texts.length > maxInputs) {
    throw new AppError(
      400,
      'TOO_MANY_INPUTS',
      `${texts.length} inputs in one request; the limit is ${maxInputs}`,
    )
  }
  texts.forEach((text, index) => {
    if (text.length === 0) throw new AppError(400, 'EMPTY_INPUT', `input ${index} is empty`)
    if (text.length > maxInputChars) {
      throw new AppError(
        413,
        'INPUT_TOO_LONG',
        `input ${index} has ${text.length} characters; the limit is ${maxInputChars}`,
      )
    }
  })
}
