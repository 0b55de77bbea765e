/**
 * Domain types of the API. Where the server's OpenAPI schema has the endpoint, the type is an alias
 * of the generated one (schema.d.ts), so `npm run api:generate` + `tsc` catch any divergence.
 */
import type { components } from './schema';

type S = components['schemas'];

export type Page<T> = { items: T[]; count: number };

export type User = S['UserOut'];
export type LoginResponse = S['LoginOut'];
export type TokenPair = S['TokenPairOut'];
export type RegisterInput = S['RegisterIn'];
export type LoginInput = S['LoginIn'];
export type ProfilePatch = S['MePatch'];
export type ChangePasswordInput = S['ChangePasswordIn'];
