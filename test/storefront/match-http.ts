import { expectContract } from '../helpers/contract';

/**
 * POST /segments/match over real HTTP, as a storefront sends it (site `main`, `items: [{id}]`):
 * the matching product ids, the answer checked against the contract.
 */
export async function postMatch(
  origin: string,
  tenant: string,
  token: string,
  segmentIds: string[],
  products: readonly string[],
  at?: string,
): Promise<string[]> {
  const res = await fetch(`${origin}/customer-segment/${tenant}/segments/match${at ? `?at=${at}` : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ siteCode: 'main', segmentIds, items: products.map((id) => ({ id })) }),
  });
  const body = (await res.json()) as { id: string }[];
  expect(res.status).toBe(200);
  await expectContract('POST-customer-segment-check-match', 200, body);
  return body.map((m) => m.id);
}
