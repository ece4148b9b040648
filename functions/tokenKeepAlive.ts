// Timer (TOKEN_KEEPALIVE_SCHEDULE): refreshes each service user's token well inside the 90-day inactivity window
// and flags the ones that need re-authentication or lost their licence.
import './lib/invocation.js';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runKeepAlive } from '../shared/identity/keepAlive.js';
import { getRuntime } from '../shared/runtime.js';

export async function tokenKeepAlive(_timer: Timer, _context: InvocationContext): Promise<void> {
  await runKeepAlive(getRuntime());
}

app.timer('tokenKeepAlive', { schedule: '%TOKEN_KEEPALIVE_SCHEDULE%', handler: tokenKeepAlive });
