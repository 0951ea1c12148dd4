/** The roles of Stadtpuls. `admin` may do everything; the others are granted per route. */
export const ROLES = ['viewer', 'enforcement', 'facility', 'technician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly username: string;
  readonly roles: readonly Role[];
  /** `session` (login), `token` (long-lived API token). */
  readonly via: 'session' | 'token';
}

export function hasRole(p: Principal, allowed: readonly Role[]): boolean {
  return p.roles.includes('admin') || p.roles.some((r) => allowed.includes(r));
}
