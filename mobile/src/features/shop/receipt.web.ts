/** Web: fetch the receipt with the session's token and hand it to the browser as a download. */
import { shopApi } from './api';
import type { ApiFailure } from '@/api/result';

export type ReceiptOutcome = { kind: 'shared'; uri: string } | { kind: 'saved'; uri: string } | ApiFailure;

export async function downloadReceipt(orderId: number, orderNumber: string): Promise<ReceiptOutcome> {
  const result = await shopApi.receipt(orderId);
  if (result.kind !== 'ok') return result;
  const blob = new Blob([result.data], { type: 'application/pdf' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `receipt-${orderNumber}.pdf`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return { kind: 'saved', uri: link.download };
}
