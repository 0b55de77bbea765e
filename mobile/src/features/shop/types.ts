/** Shop types: aliases of the server's generated OpenAPI schemas. */
import type { components } from '@/api/schema';
import type { Persisted } from '@/api/types';

type S = components['schemas'];

export type Category = S['CategoryOut'];
export type Product = Persisted<S['ProductOut']>;
export type OrderLine = S['OrderLineOut'];
export type Order = Persisted<S['OrderOut']>;
export type Clinic = S['ClinicOut'];
