/** Blog types: aliases of the server's generated OpenAPI schemas. */
import type { components } from '@/api/schema';
import type { Persisted } from '@/api/types';

export type PostSummary = Persisted<components['schemas']['PostOut']>;
export type Post = Persisted<components['schemas']['PostDetailOut']>;
