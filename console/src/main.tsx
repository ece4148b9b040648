// The admin console: a single page with hash routes (#/sites, #/microsoft-365, …) so every screen is one URL of
// /api/console and nothing but this app's own script and stylesheet is loaded (strict CSP, no CDN).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describe, loadSession, signOut, type Session } from './api.js';
import { MailIn } from './mailIn.js';
import { Microsoft365, Operations, Overview, People, Projects, Sites } from './screens.js';

const screens = [
  { path: 'overview', title: 'Overview' },
  { path: 'sites', title: 'Sites' },
  { path: 'microsoft-365', title: 'Microsoft 365' },
  { path: 'projects', title: 'Projects' },
  { path: 'people', title: 'People' },
  { path: 'mail-in', title: 'Mail → Jira' },
  { path: 'operations', title: 'Operations' },
] as const;

function currentScreen(): string {
  const path = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return screens.some((s) => s.path === path) ? path : 'overview';
}

function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [problem, setProblem] = useState('');
  const [screen, setScreen] = useState(currentScreen());
  useEffect(() => {
    loadSession().then(
      (s) => (s ? setSession(s) : location.assign('/api/console/sign-in')),
      (e) => setProblem(describe(e)),
    );
    const onHash = () => setScreen(currentScreen());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const title = screens.find((s) => s.path === screen)?.title ?? '';
    document.title = `${title} · Bridge console`;
    document.getElementById('main')?.focus();
  }, [screen]);
  if (problem) return <p class="problem" role="alert">{problem}</p>;
  if (!session) return <p class="loading">Loading the console…</p>;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header>
        <h1>Jira ⇄ Microsoft 365 bridge</h1>
        <nav aria-label="Console">
          <ul>
            {screens.map((s) => (
              <li><a href={`#/${s.path}`} aria-current={s.path === screen ? 'page' : undefined}>{s.title}</a></li>
            ))}
          </ul>
        </nav>
        <p class="who">Signed in as {session.name} <button type="button" class="secondary" onClick={() => void signOut()}>Sign out</button></p>
      </header>
      <main id="main" tabIndex={-1}>
        {screen === 'overview' && <Overview />}
        {screen === 'sites' && <Sites session={session} />}
        {screen === 'microsoft-365' && <Microsoft365 />}
        {screen === 'projects' && <Projects />}
        {screen === 'people' && <People />}
        {screen === 'mail-in' && <MailIn />}
        {screen === 'operations' && <Operations />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
