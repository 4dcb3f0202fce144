import type { AnyRoute } from './adapter';
import { customerAssignmentRoutes } from './routes/customer-assignments';
import { itemAssignmentRoutes } from './routes/item-assignments';
import { segmentRoutes } from './routes/segments';
import { ruleRoutes } from './routes/rules';
import { storefrontRoutes } from './routes/storefront';

/**
 * The REST contract as data: every documented endpoint once, with the GraphQL operation it
 * runs (rows in rest/routes/*.ts, one file per tag of the contract). Literal paths
 * (`/segments/search`, `/bulk`, `/match`, `/items`) win over templates because the router
 * prefers static segments.
 */
export const routes: readonly AnyRoute[] = [
  ...segmentRoutes,
  ...customerAssignmentRoutes,
  ...itemAssignmentRoutes,
  ...storefrontRoutes,
  // Extensions (README "Segment rules"), after the 30 documented operations.
  ...ruleRoutes,
];
