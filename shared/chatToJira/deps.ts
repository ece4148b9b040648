// Process-wide dependencies of the notification endpoint: the runtime plus the subscription cache, which must
// outlive a single request to be worth anything.
import { getRuntime } from '../runtime.js';
import { createSubscriptionCache, type NotificationDeps } from './notifications.js';

let deps: NotificationDeps | undefined;

export function notificationDeps(): NotificationDeps {
  if (!deps) {
    const runtime = getRuntime();
    deps = { ...runtime, cache: createSubscriptionCache(runtime) };
  }
  return deps;
}
