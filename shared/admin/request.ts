// What every admin API screen takes: the runtime (plus the settings-changed hook) and the request the functions/
// adapter parsed. The screens sit in several folders (admin/, and the admin.ts of bookings, chatToJira, identity,
// mail, mailIn); this module is the one part of admin/ they share, so none of them depends on another's screens.
import type { Runtime } from '../runtime.js';

export type AdminDeps = Runtime & { onSettingsChanged?: () => void };

export interface AdminRequest {
  method: string;
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  /** Parsed JSON body, or the raw text for text/csv. */
  body?: unknown;
  text?: string;
}
