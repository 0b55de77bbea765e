/** Cross-feature wiring done once at start-up: what sign-in/sign-out must tell the user, sync or clean up. */
import { addSignInHook, addSignOutHook, addSignOutWarning } from './auth/session';
import { disablePush } from './notifications/push';
import { countUnsentScreenings, flushOutbox, outboxSessionChanged } from './screening/engine';
import { cart, loadCart } from './shop/cart';

let done = false;

export function wireFeatures(): void {
  if (done) return;
  done = true;
  addSignOutHook(disablePush);
  addSignOutHook(() => cart.reset());
  // Before signing out: send what can be sent now; what is left stays on this device (each row records
  // who took it) and is sent the next time this account signs in here. Nothing is deleted, so the
  // user is only told.
  addSignOutWarning(async () => {
    await flushOutbox({ now: true });
    const unsent = await countUnsentScreenings();
    if (unsent === 0) return null;
    const what = unsent === 1 ? '1 screening has' : `${unsent} screenings have`;
    return `${what} not been sent yet. ${unsent === 1 ? 'It stays' : 'They stay'} on this device and will be sent the next time you sign in to this account here.`;
  });
  // Send what can still be sent under this session (and let a sync in progress finish) before the
  // tokens go; unsent screenings stay on the device, out of every other user's reach.
  addSignOutHook(() => flushOutbox());
  // Signed in again (this user or another): show that user's queue and send what they left waiting.
  addSignInHook(() => outboxSessionChanged());
  void loadCart();
}
