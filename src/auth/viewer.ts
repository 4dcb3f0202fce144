import { ForbiddenError, UnauthenticatedError } from '../errors';
import { SCOPE } from './scopes';

/** Who is calling, as established by a verified access token. */
export interface Viewer {
  tenant: string;
  scopes: ReadonlySet<string>;
  /** From the `customerId` claim, else `sub`; what `segment_read_own` is scoped to. */
  customerId?: string;
  /** Optional `legalEntityId` claim: narrows B2B assignments for `segment_read_own`. */
  legalEntityId?: string;
  /** Who the token was issued to (`sub`, else `customerId`): what per-client rate limits key on. */
  subject?: string;
}

export function hasScope(viewer: Viewer, scope: string): boolean {
  return viewer.scopes.has(scope);
}

export function hasAnyScope(viewer: Viewer, scopes: readonly string[]): boolean {
  return scopes.some((s) => viewer.scopes.has(s));
}

/** Authentication only: a caller without a (valid) token gets 401. */
export function requireViewer(viewer: Viewer | null | undefined): Viewer {
  if (!viewer) throw new UnauthenticatedError();
  return viewer;
}

/** The 403 message: which scope the operation needs. */
export function missingScopeMessage(anyOf: readonly string[]): string {
  return anyOf.length === 1
    ? `This operation needs the ${anyOf[0]} scope.`
    : `This operation needs one of the scopes ${anyOf.join(', ')}.`;
}

/**
 * 401 without a viewer, 403 unless at least one of `anyOf` is held.
 * An empty `anyOf` is refused (403) rather than read as "no scope needed": a call site that
 * forgot to name its scopes must fail closed. Use `requireViewer` for authentication only.
 */
export function requireScope(viewer: Viewer | null | undefined, ...anyOf: string[]): Viewer {
  const v = requireViewer(viewer);
  if (!hasAnyScope(v, anyOf)) throw new ForbiddenError(missingScopeMessage(anyOf));
  return v;
}

/**
 * docs/behaviour.md "Order of checks": token tenant ≠ path tenant is a 401 (invalid token for this
 * tenant), checked after the path tenant is known to be well-formed and before scopes.
 */
export function requireTenant(viewer: Viewer | null | undefined, tenant: string): Viewer {
  const v = requireViewer(viewer);
  if (v.tenant !== tenant) throw new UnauthenticatedError('Invalid access token', 'tenant');
  return v;
}

/**
 * True when the caller may only see its own memberships: it holds `segment_read_own` but not
 * `segment_read` (the broader scope wins when both are present).
 */
export function readsOwnOnly(viewer: Viewer): boolean {
  return !viewer.scopes.has(SCOPE.read) && viewer.scopes.has(SCOPE.readOwn);
}
