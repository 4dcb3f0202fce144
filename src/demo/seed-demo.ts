import { execute, parse } from 'graphql';
import { ALL_SCOPES } from '../auth/scopes';
import { createContext, type Services } from '../graphql/context';
import { getSchema } from '../graphql/schema';

export const DEMO_TENANT = 'demo';

/**
 * The demo tenant, written through the same GraphQL mutations clients use (no side door into
 * the tables): a category tree four levels deep, products in it, B2C and B2B customers with
 * attributes, three segments with assignments and one kept by rules. Loaded by `npm start` into
 * an empty development database.
 */
const SEED = /* GraphQL */ `
  mutation Seed {
    upsertLegalEntities(input: [{ id: "le-acme", name: "ACME Construction GmbH" }, { id: "le-beta", name: "Beta Builders AG" }])
    upsertCustomers(
      input: [
        {
          id: "c-alice"
          firstName: "Alice"
          lastName: "Smith"
          email: "alice@example.com"
          mixins: { country: "US", tier: "GOLD", totalSpent: 480, lastOrderAt: "2026-11-02T10:00:00Z" }
        }
        {
          id: "c-bob"
          firstName: "Bob"
          lastName: "Jones"
          email: "bob@example.com"
          mixins: { country: "US", tier: "SILVER", totalSpent: 90 }
        }
        {
          id: "c-carol"
          firstName: "Carol"
          lastName: "Meyer"
          email: "carol@acme.example"
          legalEntityIds: ["le-acme", "le-beta"]
          mixins: { country: "DE", tier: "GOLD", totalSpent: 1250 }
        }
      ]
    )
    upsertCategories(
      input: [
        { id: "cat-tools", code: "tools", name: { en: "Tools", de: "Werkzeug" }, position: 1, published: true }
        {
          id: "cat-hammers"
          parentId: "cat-tools"
          code: "hammers"
          name: { en: "Hammers", de: "Hämmer" }
          position: 1
          description: { en: "Basic and professional-grade hammers." }
          slug: { en: "hammers", de: "haemmer" }
          published: true
        }
        {
          id: "cat-sledge"
          parentId: "cat-hammers"
          code: "sledgehammers"
          name: { en: "Sledgehammers", de: "Vorschlaghämmer" }
          position: 1
          ecn: ["ECN-4711"]
          published: true
        }
        {
          id: "cat-drills"
          parentId: "cat-tools"
          code: "drills"
          name: { en: "Drills", de: "Bohrmaschinen" }
          position: 2
          published: true
        }
        {
          id: "cat-cordless"
          parentId: "cat-drills"
          code: "cordless"
          name: { en: "Cordless drills", de: "Akkubohrer" }
          position: 1
          published: true
        }
        { id: "cat-corded", parentId: "cat-drills", code: "corded", name: { en: "Corded drills" }, position: 2, published: true }
        { id: "cat-saws", parentId: "cat-tools", code: "saws", name: { en: "Saws", de: "Sägen" }, position: 3, published: true }
        { id: "cat-garden", code: "garden", name: { en: "Garden", de: "Garten" }, position: 2, published: true }
        {
          id: "cat-hoses"
          parentId: "cat-garden"
          code: "hoses"
          name: { en: "Hoses", de: "Schläuche" }
          position: 1
          published: true
        }
        { id: "cat-paint", code: "paint", name: { en: "Paint", de: "Farbe" }, position: 3, published: true }
      ]
    )
    upsertProducts(
      input: [
        {
          id: "p-claw-hammer"
          code: "HAM-100"
          name: { en: "Claw hammer", de: "Klauenhammer" }
          categoryIds: ["cat-hammers"]
          mixins: { brand: "Forge", priceBand: "premium" }
        }
        {
          id: "p-sledge-5kg"
          code: "HAM-500"
          name: { en: "Sledgehammer 5 kg" }
          categoryIds: ["cat-sledge"]
          mixins: { brand: "Forge", priceBand: "standard" }
        }
        {
          id: "p-drill-18v"
          code: "DRL-18"
          name: { en: "Cordless drill 18 V" }
          categoryIds: ["cat-cordless"]
          mixins: { brand: "Volt", priceBand: "premium" }
        }
        { id: "p-drill-corded", code: "DRL-230", name: { en: "Hammer drill 230 V" }, categoryIds: ["cat-corded"] }
        { id: "p-handsaw", code: "SAW-1", name: { en: "Hand saw" }, categoryIds: ["cat-saws"] }
        { id: "p-hose-20m", code: "HOS-20", name: { en: "Garden hose 20 m" }, categoryIds: ["cat-hoses"] }
        { id: "p-brush", code: "PNT-7", name: { en: "Paint brush" }, categoryIds: ["cat-paint"] }
      ]
    )
    createSegments(
      inputs: [
        {
          id: "seg-gold"
          name: { en: "Gold customers", de: "Goldkunden" }
          description: { en: "Our best customers" }
          status: ACTIVE
          siteCode: "main"
          mixins: { segmentAttributes: { membershipStatus: "PREMIUM" } }
        }
        {
          id: "seg-pro"
          name: { en: "Professionals" }
          status: ACTIVE
          siteCode: "main"
          validity: { from: "2024-01-01T00:00:00.000Z", to: "2030-12-31T23:59:59.999Z" }
        }
        { id: "seg-garden", name: { en: "Garden club" }, status: INACTIVE, siteCode: "main" }
        {
          id: "seg-vip"
          name: { en: "VIP (by rule)" }
          description: { en: "Gold-tier customers, kept current by the rule; premium tools for them." }
          status: ACTIVE
          siteCode: "main"
          customerRule: "customer.mixins.tier:GOLD"
          itemRule: "product.mixins.priceBand:premium category.code:tools"
        }
      ]
    ) {
      code
    }
    gold: upsertCustomerAssignments(
      segmentId: "seg-gold"
      inputs: [{ customerId: "c-alice" }, { customerId: "c-carol", legalEntityId: "le-acme" }]
    ) {
      code
    }
    pro: upsertCustomerAssignments(
      segmentId: "seg-pro"
      inputs: [{ customerId: "c-bob" }, { customerId: "c-carol", legalEntityId: "le-beta" }]
    ) {
      code
    }
    garden: upsertCustomerAssignments(segmentId: "seg-garden", inputs: [{ customerId: "c-alice" }]) {
      code
    }
    goldCategories: upsertItemAssignments(segmentId: "seg-gold", type: CATEGORY, inputs: [{ id: "cat-hammers" }]) {
      code
    }
    goldProducts: upsertItemAssignments(segmentId: "seg-gold", type: PRODUCT, inputs: [{ id: "p-brush" }]) {
      code
    }
    proCategories: upsertItemAssignments(segmentId: "seg-pro", type: CATEGORY, inputs: [{ id: "cat-drills" }]) {
      code
    }
    gardenCategories: upsertItemAssignments(segmentId: "seg-garden", type: CATEGORY, inputs: [{ id: "cat-garden" }]) {
      code
    }
  }
`;

/** Loads the demo tenant when it has no segments yet. Returns whether it did. */
export async function seedDemo(services: Services): Promise<boolean> {
  const any = await services.db.knex('segments').where('tenant', DEMO_TENANT).first('id');
  if (any) return false;
  const viewer = { tenant: DEMO_TENANT, scopes: new Set<string>(ALL_SCOPES) };
  const contextValue = createContext(services, viewer, { accept: null, defaultLanguage: services.config.defaultLanguage });
  // Mutation fields run one after another, so the catalog exists before the assignments.
  const result = await execute({ schema: getSchema(), document: parse(SEED), contextValue });
  if (result.errors?.length) throw new Error(`demo seed failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return true;
}
