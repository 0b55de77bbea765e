/** Cross-feature wiring done once at start-up: what sign-out must warn about and clean up. */
import { addSignOutHook, addSignOutWarning } from './auth/session';
import { disablePush } from './notifications/push';
import { clearOutbox, countUnsentScreenings, flushOutbox } from './screening/engine';
import { cart, loadCart } from './shop/cart';

let done = false;

export function wireFeatures(): void {
  if (done) return;
  done = true;
  addSignOutHook(disablePush);
  addSignOutHook(() => cart.reset());
  // Before signing out: send what can be sent now; what is left would be deleted, so the user is asked.
  addSignOutWarning(async () => {
    await flushOutbox({ now: true });
    const unsent = await countUnsentScreenings();
    if (unsent === 0) return null;
    const what = unsent === 1 ? '1 screening has' : `${unsent} screenings have`;
    return `${what} not been sent yet. Signing out deletes them from this device. Connect to the internet first to keep them.`;
  });
  // Queued screenings belong to this user: send what can be sent, then forget them on this device
  // (the next user must never sync them).
  addSignOutHook(async () => {
    await flushOutbox();
    await clearOutbox();
  });
  void loadCart();
}
