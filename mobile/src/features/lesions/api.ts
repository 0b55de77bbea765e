/** Lesions (body-map spots a patient follows over time), their timeline, follow-up reminders and reviews. */
import { api } from '@/api';
import type { components } from '@/api/schema';
import { route, type Page } from '@/api/types';
import type { Screening } from '@/features/screening/api';

type S = components['schemas'];

export type Lesion = S['LesionOut'];
export type LesionInput = S['LesionIn'];
export type BodyView = 'front' | 'back';
export type Timeline = S['TimelineOut'];
export type Review = S['ReviewOut'];
export type ReviewDetail = S['ReviewDetailOut'];
export type ReviewInput = S['ReviewIn'];
export type Impression = ReviewInput['impression'];

export const lesionsApi = {
  list: () => api.get<Page<Lesion>>(route('/api/v1/lesions'), { query: { page: 1, page_size: 100 } }),
  get: (id: string) => api.get<Lesion>(route('/api/v1/lesions/{lesion_id}', { lesion_id: id })),
  create: (input: LesionInput) => api.post<Lesion>(route('/api/v1/lesions'), input),
  timeline: (id: string) => api.get<Timeline>(route('/api/v1/lesions/{lesion_id}/timeline', { lesion_id: id })),
  assign: (screeningId: string, lesionId: string | null) =>
    api.put<Screening>(route('/api/v1/screenings/{screening_id}/lesion', { screening_id: screeningId }), { lesion_id: lesionId }),
  setFollowUp: (id: string, weeks: number) => api.put<Lesion>(route('/api/v1/lesions/{lesion_id}/follow-up', { lesion_id: id }), { weeks }),
  clearFollowUp: (id: string) => api.delete<Lesion>(route('/api/v1/lesions/{lesion_id}/follow-up', { lesion_id: id })),
  reviews: (screeningId: string) => api.get<ReviewDetail[]>(route('/api/v1/screenings/{screening_id}/reviews', { screening_id: screeningId })),
};
