import type { DocumentStore } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * Heap bytes a parsed document holds, estimated from its tokens: measured at 290–380 bytes per
 * token (AST nodes, `loc`, and the token list `loc` keeps alive), for documents from a few
 * tokens to the full introspection query. Apollo's own default store measures JSON length,
 * which leaves the token list out and undercounts the heap about fourfold.
 */
const BYTES_PER_TOKEN = 400;

export function documentBytes(doc: DocumentNode): number {
  let tokens = 0;
  for (let t = doc.loc?.startToken ?? null; t; t = t.next) tokens++;
  // Documents parsed without locations have no token list; their JSON is what is left.
  return tokens > 0 ? tokens * BYTES_PER_TOKEN : 4 * JSON.stringify(doc).length;
}

/**
 * Apollo's store of parsed, validated documents, by query hash. Its key is whatever text a
 * client sends, so it is bounded by count and by estimated bytes; least recently used go first.
 */
export function boundedDocumentStore(bounds: { max: number; maxBytes: number }): DocumentStore {
  const cache = new LRUCache<string, DocumentNode>({
    max: bounds.max,
    maxSize: bounds.maxBytes,
    sizeCalculation: documentBytes,
  });
  return {
    get: async (key) => cache.get(key),
    set: async (key, value) => {
      cache.set(key, value);
    },
    delete: async (key) => cache.delete(key),
  };
}
