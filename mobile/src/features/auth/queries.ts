/** TanStack Query hooks for the signed-in user's account. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api } from '@/api';
import { unwrap } from '@/api/result';
import type { ProfilePatch, User } from '@/api/types';
import { authApi } from './api';

export const RQKEY_ME = ['me'] as const;

export function useMeQuery() {
  return useQuery({ queryKey: RQKEY_ME, queryFn: async () => unwrap(await authApi.me()) });
}

/** Profile edits return the typed result so the form can show field errors. */
export function useUpdateMeMutation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: ProfilePatch) => authApi.updateMe(patch),
    onSuccess: (result) => {
      if (result.kind === 'ok') queryClient.setQueryData<User>(RQKEY_ME, result.data);
    },
  });
}

export function useChangePasswordMutation() {
  return useMutation({
    mutationFn: async (input: { current_password: string; new_password: string }) => {
      const result = await authApi.changePassword(input);
      // The server ends every other session and hands this one a fresh pair.
      if (result.kind === 'ok') await api.setTokens({ access: result.data.access, refresh: result.data.refresh });
      return result;
    },
  });
}
