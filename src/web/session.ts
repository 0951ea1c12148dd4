import type { Role } from '../auth/roles.js';
import { ApiError, api } from './api.js';

export interface User {
  readonly username: string;
  readonly roles: readonly Role[];
}

let user: User | null = null;

export const currentUser = (): User | null => user;

/** Who is logged in (the HttpOnly session cookie is sent along), or null. */
export async function loadSession(): Promise<User | null> {
  try {
    user = await api<User>('GET', '/api/auth/me', undefined, { quiet401: true });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    user = null;
  }
  return user;
}

export async function login(username: string, password: string): Promise<User> {
  await api('POST', '/api/auth/login', { username, password }, { quiet401: true });
  const me = await loadSession();
  if (!me) throw new ApiError(401, 'unauthenticated', 'session not established');
  return me;
}

export async function logout(): Promise<void> {
  try {
    await api('POST', '/api/auth/logout', undefined, { quiet401: true });
  } finally {
    user = null;
  }
}

export function forgetSession(): void {
  user = null;
}

/** Whether the user has one of the roles (admin may see everything). */
export function allowed(u: User | null, roles: readonly Role[] | 'public'): boolean {
  if (roles === 'public') return true;
  if (!u) return false;
  return u.roles.includes('admin') || u.roles.some((r) => roles.includes(r));
}
