/** Colours, spacing and type sizes shared by every screen. */
export const colors = {
  bg: '#F6F8FA',
  card: '#FFFFFF',
  text: '#1F2328',
  muted: '#59636E',
  border: '#D1D9E0',
  primary: '#1F6FEB',
  primaryText: '#FFFFFF',
  danger: '#CF222E',
  success: '#1A7F37',
  warning: '#9A6700',
} as const;

export const space = { xs: 4, sm: 8, md: 12, lg: 16, xl: 24 } as const;
export const font = { small: 13, body: 15, title: 20, heading: 24 } as const;
