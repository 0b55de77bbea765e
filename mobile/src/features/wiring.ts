/** Cross-feature wiring done once at start-up: what sign-out must clean up. */
import { addSignOutHook } from './auth/session';
import { disablePush } from './notifications/push';
import { clearOutbox, flushOutbox } from './screening/engine';
import { cart, loadCart } from './shop/cart';

let done = false;

export function wireFeatures(): void {
  if (done) return;
  done = true;
  addSignOutHook(disablePush);
  addSignOutHook(() => cart.reset());
  // Queued screenings belong to this user: send what can be sent, then forget them on this device.
  addSignOutHook(async () => {
    await flushOutbox();
    await clearOutbox();
  });
  void loadCart();
}
