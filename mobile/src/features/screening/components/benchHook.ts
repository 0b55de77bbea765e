/** Phones have no page to drive from a test: the measuring hook exists on the web build only (benchHook.web.ts). */
export function exposeBenchHook(): void {}
