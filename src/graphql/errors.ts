import { GraphQLError } from 'graphql';

/**
 * The closed family of expected errors. Each carries a fixed `extensions.code`; the REST layer
 * maps codes to HTTP statuses (rest/http-errors.ts) and formatError lets only these through.
 */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

abstract class CodedError extends GraphQLError {
  abstract readonly code: ErrorCode;
}

function make(
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): [string, { extensions: Record<string, unknown> }] {
  return [message, { extensions: { code, ...extra } }];
}

export class BadInputError extends CodedError {
  readonly code = 'BAD_USER_INPUT' as const;
  /** Dot path of the offending field, when there is one (`validity.from`, `q`, `[3].name`). */
  readonly field?: string;
  constructor(message: string, field?: string) {
    super(...make('BAD_USER_INPUT', message, field ? { field } : {}));
    this.field = field;
  }
}

export class NotFoundError extends CodedError {
  readonly code = 'NOT_FOUND' as const;
  constructor(
    message: string,
    readonly resourceId?: string,
  ) {
    super(...make('NOT_FOUND', message, resourceId ? { resourceId } : {}));
  }
}

export class ConflictError extends CodedError {
  readonly code = 'CONFLICT' as const;
  constructor(
    message: string,
    readonly resourceId?: string,
  ) {
    super(...make('CONFLICT', message, resourceId ? { resourceId } : {}));
  }
}

export class UnauthenticatedError extends CodedError {
  readonly code = 'UNAUTHENTICATED' as const;
  constructor(
    message = 'Invalid access token',
    /** `expired` selects the platform's expired-token fault body on REST. */
    readonly reason: 'invalid' | 'expired' | 'tenant' = 'invalid',
  ) {
    super(...make('UNAUTHENTICATED', message, { reason, http: { status: 401 } }));
  }
}

export class ForbiddenError extends CodedError {
  readonly code = 'FORBIDDEN' as const;
  constructor(message = 'The access to the requested resource has been forbidden by the server.') {
    super(...make('FORBIDDEN', message));
  }
}

export const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
]);

export const MSG_ALREADY_EXISTS = 'The resource already exists.';
export const MSG_CHANGED = 'The resource you are attempting to access has changed.';
export const notFound = (id: string): NotFoundError => new NotFoundError(`The resource with id ${id} has not been found.`, id);
