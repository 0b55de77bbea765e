/**
 * Domain types of the API. Where the server's OpenAPI schema has the endpoint, the type is an alias
 * of the generated one (schema.d.ts), so `npm run api:generate` + `tsc` catch any divergence.
 */
import type { components, paths } from './schema';

type S = components['schemas'];

export type Page<T> = { items: T[]; count: number };

export type User = S['UserOut'];
export type LoginResponse = S['LoginOut'];
export type TokenPair = S['TokenPairOut'];
export type RegisterInput = S['RegisterIn'];
export type LoginInput = S['LoginIn'];
export type ProfilePatch = S['MePatch'];
export type ChangePasswordInput = S['ChangePasswordIn'];

/** Rows the server has saved always carry an id, though ModelSchema marks it optional. */
export type Persisted<T extends { id?: number | null }> = Omit<T, 'id'> & { id: number };

export type ApiPath = keyof paths;

/**
 * A URL path from the OpenAPI template, so a renamed or removed endpoint is a type error:
 * route('/api/v1/orders/{order_id}', { order_id: 7 }) -> '/api/v1/orders/7'.
 */
export function route<P extends ApiPath>(template: P, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${template}: missing ${name}`);
    return encodeURIComponent(String(value));
  });
}
