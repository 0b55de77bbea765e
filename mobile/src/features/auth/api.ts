/** Accounts endpoints (/api/v1/auth/...). */
import { api } from '@/api';
import { route, type ChangePasswordInput, type LoginInput, type LoginResponse, type ProfilePatch, type RegisterInput, type TokenPair, type User } from '@/api/types';

export const authApi = {
  register: (input: RegisterInput) => api.post<User>(route('/api/v1/auth/register'), input, { auth: false }),
  login: (input: LoginInput) => api.post<LoginResponse>(route('/api/v1/auth/login'), input, { auth: false }),
  logout: (refresh: string) => api.post<void>(route('/api/v1/auth/logout'), { refresh }),
  me: () => api.get<User>(route('/api/v1/auth/me')),
  updateMe: (patch: ProfilePatch) => api.patch<User>(route('/api/v1/auth/me'), patch),
  changePassword: (input: ChangePasswordInput) => api.post<TokenPair>(route('/api/v1/auth/change-password'), input),
  deleteAccount: (password: string) => api.post<void>(route('/api/v1/auth/delete-account'), { password }),
  /** The zip of everything the server holds about the user (web: fetched as a Blob; phones stream it to a file, see dataExport.ts). */
  exportData: () => api.get<Blob>(route('/api/v1/auth/me/export'), { responseType: 'blob', headers: { Accept: 'application/zip' } }),
  exportUrl: () => api.url(route('/api/v1/auth/me/export')),
};
