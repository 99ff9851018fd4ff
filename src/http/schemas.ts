import { Type } from '@fastify/type-provider-typebox';

/** The error envelope every 4xx/5xx answers with. */
export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code (see src/errors.ts)' }),
      message: Type.String(),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

/** Error responses shared by every route. */
export const errorResponses = {
  400: Type.Ref('ErrorEnvelope'),
  404: Type.Ref('ErrorEnvelope'),
  409: Type.Ref('ErrorEnvelope'),
  413: Type.Ref('ErrorEnvelope'),
  500: Type.Ref('ErrorEnvelope'),
} as const;

/** Any JSON object (records have dataset-specific fields). */
export const AnyObject = Type.Object({}, { additionalProperties: true });

/** A dataset code in a path. */
export const DatasetParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9-]+$' }) });

/** limit/offset paging with caps. */
export const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
};

/** Error responses of routes that need a signed-in person or a token. */
export const authErrors = {
  ...errorResponses,
  401: Type.Ref('ErrorEnvelope'),
  403: Type.Ref('ErrorEnvelope'),
  429: Type.Ref('ErrorEnvelope'),
  503: Type.Ref('ErrorEnvelope'),
} as const;
