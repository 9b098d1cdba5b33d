import { ErrorBody } from '@flotilla/service'

/** The error statuses an ML route can answer, for a route schema's `response`. */
export const mlErrorResponses = { 400: ErrorBody, 413: ErrorBody, 500: ErrorBody, 503: ErrorBody }
