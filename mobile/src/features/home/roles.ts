/** What each role sees in the app: clinicians get no patient flows (screening, shop); admins work on the admin site. */
export function tabsFor(role: string | undefined): Set<string> {
  if (role === 'admin') return new Set(['index', 'blog', 'profile']);
  if (role === 'clinician') return new Set(['index', 'worklist', 'appointments', 'blog', 'profile']);
  return new Set(['index', 'screening', 'appointments', 'shop', 'blog', 'profile']);
}
