// What a Graph call site gets: the client plus who it acts as. It sits in graph/ (not with the job deps that hand
// it out, jobs/deps.ts) so the Graph modules by resource can take it without importing the layers above them.
import type { Graph } from './client.js';

/** A Graph client acting for one (tenant, feature), and who it acts as. */
export interface GraphSession extends Graph {
  kind: 'delegated' | 'app';
  /** The service user's Entra object id in delegated mode (it must be a member of the chats it creates). */
  serviceUserObjectId?: string;
}
