/** Server screenings: my history (filters), one screening, its photo, delete, and sharing with a clinician. */
import { api } from '@/api';
import type { components } from '@/api/schema';
import { route, type Page } from '@/api/types';
import type { RiskLevel } from '@/contract';

type S = components['schemas'];

export type Screening = S['ScreeningOut'];
export type ScreeningShare = S['ShareOut'];
export type ScreeningSource = 'online' | 'sync';

export type HistoryFilters = { risk?: RiskLevel; source?: ScreeningSource };

export const PAGE_SIZE = 20;

export const screeningsApi = {
  list: (page: number, filters: HistoryFilters) =>
    api.get<Page<Screening>>(route('/api/v1/screenings'), { query: { page, page_size: PAGE_SIZE, risk: filters.risk, source: filters.source } }),
  get: (id: string) => api.get<Screening>(route('/api/v1/screenings/{screening_id}', { screening_id: id })),
  /** The stored photo (a re-encoded JPEG); it needs the bearer token, so it is fetched, not linked. */
  photo: (id: string) => api.get<Blob>(route('/api/v1/screenings/{screening_id}/photo', { screening_id: id }), { responseType: 'blob' }),
  remove: (id: string) => api.delete<void>(route('/api/v1/screenings/{screening_id}', { screening_id: id })),
  shares: (id: string) => api.get<ScreeningShare[]>(route('/api/v1/screenings/{screening_id}/shares', { screening_id: id })),
  share: (id: string, clinicianId: number) =>
    api.post<ScreeningShare>(route('/api/v1/screenings/{screening_id}/shares', { screening_id: id }), { clinician_id: clinicianId }),
  unshare: (id: string, clinicianId: number) =>
    api.delete<void>(route('/api/v1/screenings/{screening_id}/shares/{clinician_id}', { screening_id: id, clinician_id: clinicianId })),
};
