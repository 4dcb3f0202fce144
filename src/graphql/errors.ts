import { type DomainError, type DomainErrorKind, UnauthenticatedError } from '../errors';

/** The GraphQL face of the domain errors (src/errors.ts): one `extensions.code` per kind. */
export const GRAPHQL_CODE: Record<DomainErrorKind, string> = {
  BAD_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** Codes that reach clients as they are, whoever set them (ours, or graphql-js's coercion). */
export const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(GRAPHQL_CODE));

/** `extensions` of a domain error as a GraphQL error: its code, and the field or resource at fault. */
export function graphqlExtensions(error: DomainError): Record<string, unknown> {
  const extensions: Record<string, unknown> = { code: GRAPHQL_CODE[error.kind] };
  const { field, resourceId } = error as { field?: string; resourceId?: string };
  if (field) extensions.field = field;
  if (resourceId) extensions.resourceId = resourceId;
  // An invalid or expired token is an HTTP 401 on /graphql too (docs/behaviour.md).
  if (error instanceof UnauthenticatedError) extensions.http = { status: 401 };
  return extensions;
}
