/** Download an order's receipt PDF into the cache and open the system share sheet. */
import { File, Paths } from 'expo-file-system';
import * as Sharing from 'expo-sharing';

import { shopApi } from './api';
import type { ApiFailure } from '@/api/result';

export type ReceiptOutcome = { kind: 'shared'; uri: string } | { kind: 'saved'; uri: string } | ApiFailure;

export async function downloadReceipt(orderId: number, orderNumber: string): Promise<ReceiptOutcome> {
  const result = await shopApi.receipt(orderId);
  if (result.kind !== 'ok') return result;
  const file = new File(Paths.cache, `receipt-${orderNumber}.pdf`);
  try {
    if (file.exists) file.delete();
    file.create();
    file.write(new Uint8Array(result.data));
  } catch (error) {
    return { kind: 'server', status: 0, detail: `Could not save the receipt: ${String(error)}` };
  }
  if (await Sharing.isAvailableAsync()) {
    await Sharing.shareAsync(file.uri, { mimeType: 'application/pdf', UTI: 'com.adobe.pdf', dialogTitle: `Receipt ${orderNumber}` });
    return { kind: 'shared', uri: file.uri };
  }
  return { kind: 'saved', uri: file.uri };
}
