// Admin functions share the runtime; a settings change clears this instance's webhook-path cache at once (other
// instances pick it up within SETTINGS_CACHE_SECONDS).
import { getRuntime } from '../runtime.js';
import { intakeDeps } from '../intake/deps.js';
import type { AdminDeps } from './request.js';

export function adminDeps(): AdminDeps {
  return { ...getRuntime(), onSettingsChanged: () => intakeDeps().settings.clear() };
}
