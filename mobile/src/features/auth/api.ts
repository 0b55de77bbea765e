/** Accounts endpoints (/api/v1/auth/...). */
import { api } from '@/api';
import type { ChangePasswordInput, LoginInput, LoginResponse, ProfilePatch, RegisterInput, TokenPair, User } from '@/api/types';

export const authApi = {
  register: (input: RegisterInput) => api.post<User>('/api/v1/auth/register', input, { auth: false }),
  login: (input: LoginInput) => api.post<LoginResponse>('/api/v1/auth/login', input, { auth: false }),
  logout: (refresh: string) => api.post<void>('/api/v1/auth/logout', { refresh }),
  me: () => api.get<User>('/api/v1/auth/me'),
  updateMe: (patch: ProfilePatch) => api.patch<User>('/api/v1/auth/me', patch),
  changePassword: (input: ChangePasswordInput) => api.post<TokenPair>('/api/v1/auth/change-password', input),
  deleteAccount: (password: string) => api.post<void>('/api/v1/auth/delete-account', { password }),
};
