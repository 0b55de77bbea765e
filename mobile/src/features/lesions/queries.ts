/** TanStack Query hooks for lesions: list, timeline, create (and assign), assign a screening, follow-up, reviews. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { lesionsApi, type LesionInput } from './api';
import { unwrap } from '@/api/result';
import { RQKEY_SCREENINGS } from '@/features/screening/queries';

export const RQKEY_LESIONS = 'lesions';

export function useLesionsQuery() {
  return useQuery({ queryKey: [RQKEY_LESIONS, 'list'], queryFn: async () => unwrap(await lesionsApi.list()).items });
}

export function useTimelineQuery(id: string) {
  return useQuery({ queryKey: [RQKEY_LESIONS, 'timeline', id], queryFn: async () => unwrap(await lesionsApi.timeline(id)) });
}

export function useReviewsQuery(screeningId: string) {
  return useQuery({ queryKey: [RQKEY_SCREENINGS, 'reviews', screeningId], queryFn: async () => unwrap(await lesionsApi.reviews(screeningId)) });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: [RQKEY_LESIONS] });
    void queryClient.invalidateQueries({ queryKey: [RQKEY_SCREENINGS] });
  };
}

/** Create a lesion and, when given, put a screening on it in the same step. */
export function useCreateLesionMutation() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async ({ input, screeningId }: { input: LesionInput; screeningId?: string }) => {
      const created = await lesionsApi.create(input);
      if (created.kind !== 'ok' || !screeningId) return { created, assigned: null };
      return { created, assigned: await lesionsApi.assign(screeningId, created.data.id) };
    },
    onSettled: invalidate,
  });
}

export function useAssignMutation(screeningId: string) {
  const invalidate = useInvalidate();
  return useMutation({ mutationFn: (lesionId: string | null) => lesionsApi.assign(screeningId, lesionId), onSettled: invalidate });
}

export function useFollowUpMutation(lesionId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (weeks: number | null) => (weeks === null ? lesionsApi.clearFollowUp(lesionId) : lesionsApi.setFollowUp(lesionId, weeks)),
    onSettled: invalidate,
  });
}
