/** In-app notification (mirrors the server's schema; checked in api-contract.ts). */
export type AppNotification = {
  id: number;
  title: string;
  body: string;
  status: string;
  read: boolean;
  created_at: string;
  sent_at: string | null;
};
