import { useCallback, useEffect, useState } from 'react';
import { api, getToken, type Me, setToken } from './api.ts';
import { Empty, ErrorBox } from './components.tsx';
import { completeOidcSignIn } from './oidc.ts';
import { AdoptionPage } from './pages/AdoptionPage.tsx';
import { ApprovalsPage } from './pages/ApprovalsPage.tsx';
import { AskPage } from './pages/AskPage.tsx';
import { ChangesPage } from './pages/ChangesPage.tsx';
import { ClaimDetailPage, ClaimsDashboardPage, ClaimsPage } from './pages/ClaimsPage.tsx';
import { CostPage } from './pages/CostPage.tsx';
import { EvalPage } from './pages/EvalPage.tsx';
import { FeedbackInboxPage, MyFeedbackPage, NoticesLink } from './pages/FeedbackPages.tsx';
import { IncidentsPage } from './pages/IncidentsPage.tsx';
import { JobsPage } from './pages/JobsPage.tsx';
import { MonitorsPage } from './pages/MonitorsPage.tsx';
import { PipelinePage } from './pages/PipelinePage.tsx';
import { PromptsPage } from './pages/PromptsPage.tsx';
import { ReviewPage } from './pages/ReviewPage.tsx';
import { SearchPage } from './pages/SearchPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { SourcesPage } from './pages/SourcesPage.tsx';
import { TraceDetailPage, TracesPage } from './pages/TracesPage.tsx';
import { UseCasesPage } from './pages/UseCasesPage.tsx';
import { VocabularyPage } from './pages/VocabularyPage.tsx';

interface Route {
  page: string;
  id?: string;
}

function readRoute(): Route {
  const [page = 'ask', id] = window.location.hash.replace(/^#\/?/, '').split('/');
  return { page: page || 'ask', ...(id ? { id: decodeURIComponent(id) } : {}) };
}

/** `inNav: false`: a page reached by links only (not in the main navigation). */
const pages: Array<{ page: string; label: string; scope: string; inNav?: false }> = [
  { page: 'ask', label: 'Ask', scope: 'ask' },
  { page: 'search', label: 'Search', scope: 'search' },
  { page: 'sources', label: 'Sources', scope: 'sources:read' },
  { page: 'jobs', label: 'Jobs', scope: 'jobs:read' },
  { page: 'traces', label: 'Traces', scope: 'traces:read:own' },
  { page: 'cost', label: 'Cost', scope: 'costs:read' },
  { page: 'evaluations', label: 'Evaluations', scope: 'eval:read' },
  { page: 'prompts', label: 'Prompts', scope: 'prompts:read' },
  { page: 'use-cases', label: 'Use cases', scope: 'usecases:read' },
  { page: 'changes', label: 'Changes', scope: 'changes:read' },
  { page: 'incidents', label: 'Incidents', scope: 'incidents:read' },
  { page: 'adoption', label: 'Adoption', scope: 'usage:read' },
  { page: 'review', label: 'Review', scope: 'reviews:read' },
  { page: 'my-feedback', label: 'My feedback', scope: 'feedback:write' },
  { page: 'feedback-inbox', label: 'Feedback inbox', scope: 'feedback:triage' },
  { page: 'monitors', label: 'Monitors', scope: 'monitors:read' },
  { page: 'pipeline', label: 'Pipeline', scope: 'monitors:read' },
  { page: 'approvals', label: 'Approvals', scope: 'actions:read' },
  { page: 'claims', label: 'Claims', scope: 'claims:read' },
  { page: 'claims-dashboard', label: 'Claims dashboard', scope: 'claims:read', inNav: false },
  { page: 'vocabulary', label: 'Vocabulary', scope: 'vocabulary:read' },
];

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(Boolean(getToken()) || window.location.search.includes('code='));
  const [error, setError] = useState<unknown>(null);
  const [route, setRoute] = useState<Route>(readRoute);

  useEffect(() => {
    const onHash = () => setRoute(readRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const loadMe = useCallback(async () => {
    try {
      // Returning from the identity provider: exchange the code first.
      const oidcToken = await completeOidcSignIn();
      if (oidcToken) setToken(oidcToken);
    } catch (caught) {
      setError(caught);
    }
    if (!getToken()) {
      setChecking(false);
      return;
    }
    setChecking(true);
    try {
      setMe(await api<Me>('/v1/me'));
    } catch (caught) {
      setToken(null);
      setError(caught);
    } finally {
      setChecking(false);
    }
  }, []);

  useEffect(() => {
    void loadMe();
  }, [loadMe]);

  useEffect(() => {
    const title = pages.find((p) => p.page === route.page)?.label;
    document.title = title ? `${title} · Groundwork` : 'Groundwork';
  }, [route.page]);

  if (checking) return <p className="loading">Checking your sign-in…</p>;
  if (!me) {
    return (
      <SignInPage
        error={error}
        onSignedIn={(signedIn) => {
          setError(null);
          setMe(signedIn);
        }}
      />
    );
  }

  const visible = pages.filter((p) => me.scopes.includes(p.scope));
  const signOut = () => {
    setToken(null);
    setMe(null);
  };

  // No hash yet: the first page this caller may use (a viewer without `ask` lands on Search).
  const page = window.location.hash ? route.page : (visible[0]?.page ?? 'ask');
  const known = pages.find((p) => p.page === page);
  let content = <ErrorBox error={new Error(`There is no page "${page}".`)} />;
  if (known && !visible.includes(known)) {
    content = (
      <Empty>
        Your role ({me.role}) cannot use {known.label}. Ask an administrator if you need it.
      </Empty>
    );
  } else if (page === 'ask') content = <AskPage />;
  else if (page === 'search') content = <SearchPage />;
  else if (page === 'sources') content = <SourcesPage me={me} />;
  else if (page === 'jobs') content = <JobsPage me={me} />;
  else if (page === 'cost') content = <CostPage />;
  else if (page === 'evaluations') content = <EvalPage />;
  else if (page === 'prompts') content = <PromptsPage me={me} />;
  else if (page === 'changes') content = <ChangesPage me={me} />;
  else if (page === 'incidents') content = <IncidentsPage me={me} {...(route.id ? { id: route.id } : {})} />;
  else if (page === 'use-cases') content = <UseCasesPage me={me} {...(route.id ? { name: route.id } : {})} />;
  else if (page === 'adoption') content = <AdoptionPage />;
  else if (page === 'review') content = <ReviewPage />;
  else if (page === 'vocabulary') content = <VocabularyPage canWrite={me.scopes.includes('vocabulary:write')} />;
  else if (page === 'my-feedback') content = <MyFeedbackPage />;
  else if (page === 'feedback-inbox') content = <FeedbackInboxPage />;
  else if (page === 'monitors') content = <MonitorsPage me={me} />;
  else if (page === 'pipeline') content = <PipelinePage />;
  else if (page === 'approvals') content = <ApprovalsPage />;
  else if (page === 'claims') content = route.id ? <ClaimDetailPage id={route.id} /> : <ClaimsPage />;
  else if (page === 'claims-dashboard') content = <ClaimsDashboardPage />;
  else if (page === 'traces') content = route.id ? <TraceDetailPage id={route.id} /> : <TracesPage />;

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Groundwork</span>
        <nav aria-label="Main">
          {visible
            .filter((p) => p.inNav !== false)
            .map((p) => (
              <a key={p.page} href={`#/${p.page}`} aria-current={page === p.page ? 'page' : undefined}>
                {p.label}
              </a>
            ))}
        </nav>
        <div className="who">
          {me.scopes.includes('feedback:write') ? <NoticesLink /> : null}
          <span title={me.principals.join(', ')}>
            {me.id} <span className="role">{me.role}</span>
          </span>
          <button type="button" className="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">{content}</main>
    </div>
  );
}
