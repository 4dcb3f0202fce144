/** The contract's tenant rule: `^[a-z][a-z0-9]+$`, 3–16 characters. One definition for every entry point. */
const TENANT_RE = /^[a-z][a-z0-9]{2,15}$/;

export const TENANT_RULE = '3-16 lower-case letters and digits, starting with a letter';

export function isTenant(value: string): boolean {
  return TENANT_RE.test(value);
}
