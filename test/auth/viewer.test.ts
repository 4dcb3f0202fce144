import { ForbiddenError, UnauthenticatedError } from '../../src/errors';
import { ALL_SCOPES, SCOPE } from '../../src/auth/scopes';
import {
  hasAnyScope,
  hasScope,
  readsOwnOnly,
  requireScope,
  requireTenant,
  requireViewer,
  type Viewer,
} from '../../src/auth/viewer';

const viewer = (...scopes: string[]): Viewer => ({ tenant: 'acme', scopes: new Set(scopes) });

describe('scopes', () => {
  it('spells the three platform scopes', () => {
    expect(SCOPE).toEqual({
      manage: 'customersegment.segment_manage',
      read: 'customersegment.segment_read',
      readOwn: 'customersegment.segment_read_own',
    });
    expect([...ALL_SCOPES].sort()).toEqual(Object.values(SCOPE).sort());
  });
});

describe('viewer helpers', () => {
  it('hasScope / hasAnyScope', () => {
    const v = viewer(SCOPE.read);
    expect(hasScope(v, SCOPE.read)).toBe(true);
    expect(hasScope(v, SCOPE.manage)).toBe(false);
    expect(hasAnyScope(v, [SCOPE.manage, SCOPE.read])).toBe(true);
    expect(hasAnyScope(v, [SCOPE.manage])).toBe(false);
    expect(hasAnyScope(v, [])).toBe(false);
  });

  it('requireScope: 401 without a viewer, 403 without any of the scopes, the viewer otherwise', () => {
    expect(() => requireScope(null, SCOPE.read)).toThrow(UnauthenticatedError);
    expect(() => requireScope(undefined, SCOPE.read)).toThrow(UnauthenticatedError);
    expect(() => requireScope(viewer(SCOPE.readOwn), SCOPE.read, SCOPE.manage)).toThrow(ForbiddenError);
    const v = viewer(SCOPE.readOwn);
    expect(requireScope(v, SCOPE.read, SCOPE.readOwn)).toBe(v);
  });

  it('scopes are independent: manage does not imply read', () => {
    expect(() => requireScope(viewer(SCOPE.manage), SCOPE.read)).toThrow(ForbiddenError);
  });

  it('requireScope with no scopes named fails closed', () => {
    expect(() => requireScope(viewer(...ALL_SCOPES))).toThrow(ForbiddenError);
  });

  it('requireViewer only authenticates', () => {
    expect(() => requireViewer(null)).toThrow(UnauthenticatedError);
    const v = viewer();
    expect(requireViewer(v)).toBe(v);
  });

  it('requireTenant: another tenant is a 401 with reason tenant', () => {
    const v = viewer(SCOPE.read);
    expect(requireTenant(v, 'acme')).toBe(v);
    try {
      requireTenant(v, 'other');
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(UnauthenticatedError);
      expect((err as UnauthenticatedError).reason).toBe('tenant');
    }
    expect(() => requireTenant(null, 'acme')).toThrow(UnauthenticatedError);
  });

  it('readsOwnOnly: read_own without read', () => {
    expect(readsOwnOnly(viewer(SCOPE.readOwn))).toBe(true);
    expect(readsOwnOnly(viewer(SCOPE.readOwn, SCOPE.read))).toBe(false);
    expect(readsOwnOnly(viewer(SCOPE.manage))).toBe(false);
  });
});
