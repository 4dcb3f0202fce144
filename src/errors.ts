/**
 * The closed family of expected outcomes, thrown by modules, auth and the REST layer alike. They
 * know nothing of GraphQL or HTTP: each face maps a kind once — graphql/errors.ts to an
 * `extensions.code`, rest/http-errors.ts to a status and the Error body. Anything that is not one
 * of these is a bug or an outage, and is masked and logged (graphql/format-error.ts).
 */
export type DomainErrorKind = 'BAD_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'UNAVAILABLE';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
}

export class BadInputError extends DomainError {
  readonly kind = 'BAD_INPUT' as const;
  constructor(
    message: string,
    /** Dot path of the offending field, when there is one (`validity.from`, `q`, `[3].name`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BadInputError';
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor(
    message: string,
    readonly resourceId?: string,
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'CONFLICT' as const;
  constructor(
    message: string,
    readonly resourceId?: string,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class UnauthenticatedError extends DomainError {
  readonly kind = 'UNAUTHENTICATED' as const;
  constructor(
    message = 'Invalid access token',
    /** `expired` and `tenant` select the platform's matching 401 fault body on REST. */
    readonly reason: 'invalid' | 'expired' | 'tenant' = 'invalid',
  ) {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}

export class ForbiddenError extends DomainError {
  readonly kind = 'FORBIDDEN' as const;
  constructor(message = 'The access to the requested resource has been forbidden by the server.') {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/**
 * Something the service depends on does not answer (the token key set, say): retryable, the
 * service's problem and never the caller's — so never a 401 that would make clients drop tokens.
 */
export class UnavailableError extends DomainError {
  readonly kind = 'UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnavailableError';
  }
}

export const MSG_ALREADY_EXISTS = 'The resource already exists.';
export const MSG_CHANGED = 'The resource you are attempting to access has changed.';
export const notFound = (id: string): NotFoundError => new NotFoundError(`The resource with id ${id} has not been found.`, id);
