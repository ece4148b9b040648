// The intake's process-wide dependencies: the runtime plus the settings cache and the recent-deliveries set, which
// must outlive a single request to be worth anything.
import { getRuntime } from '../runtime.js';
import { createRecentDeliveries, type IntakeDeps } from './intake.js';
import { createSettingsCache } from './settingsCache.js';

let deps: IntakeDeps | undefined;

export function intakeDeps(): IntakeDeps {
  if (!deps) {
    const runtime = getRuntime();
    deps = { ...runtime, settings: createSettingsCache(runtime), recentDeliveries: createRecentDeliveries() };
  }
  return deps;
}
