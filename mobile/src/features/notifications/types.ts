/** In-app notification: alias of the server's generated OpenAPI schema. */
import type { components } from '@/api/schema';
import type { Persisted } from '@/api/types';

export type AppNotification = Persisted<components['schemas']['NotificationOut']>;
