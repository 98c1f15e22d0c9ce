import { Suspense } from 'react';
import { Button } from 'react-aria-components';
import { ErrorBoundary, type FallbackProps } from 'react-error-boundary';
import { NavLink, Outlet, useLocation, useMatch, useNavigate, useParams } from 'react-router';
import { ErrorMessage, Loading } from '../ui/messages';
import { useConsole } from './context';
import { useMe } from './queries';

/** The frame of every signed-in page: who is signed in, **Switch organization**, **Sign out**. */
export function Shell() {
  const { session, signOut } = useConsole();
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const inOrganization = useMatch('/organizations/:organizationId/*') !== null;
  const several = (me.data?.organizations.length ?? 0) > 1;

  return (
    <>
      <header className="topbar">
        <span className="brand">keyward</span>
        <div className="account">
          <span className="email">{session.email}</span>
          {inOrganization && several && (
            <Button className="button" onPress={() => navigate('/')}>
              Switch organization
            </Button>
          )}
          <Button className="button" onPress={signOut}>
            Sign out
          </Button>
        </div>
      </header>
      <main className="page">
        {/* A page that fails to render leaves a message; moving to another page tries again. */}
        <ErrorBoundary FallbackComponent={PageError} resetKeys={[location.pathname]}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </>
  );
}

/**
 * An organization's pages, for its admins only: a member who is not an admin is told so and sees
 * no keys (the API would refuse them anyway, API.md §3).
 */
export function OrganizationLayout() {
  const { organizationId = '' } = useParams();
  const { pathname } = useLocation();
  const me = useMe();

  if (me.isPending) return <Loading what="your organizations" />;
  if (me.isError) return <ErrorMessage error={me.error} onRetry={() => void me.refetch()} />;
  const organization = me.data.organizations.find((candidate) => candidate.id === organizationId);
  if (!organization) {
    return (
      <p className="message message-error" role="alert">
        This organization does not exist, or you are not a member of it.
      </p>
    );
  }
  if (organization.role !== 'admin') {
    return (
      <>
        <h1>{organization.name}</h1>
        <p className="message message-error" role="alert">
          You are not an admin of this organization.
        </p>
      </>
    );
  }
  return (
    <>
      <div className="organization">
        <p className="organization-name">{organization.name}</p>
        <nav aria-label="Organization">
          <NavLink to="api_keys">API keys</NavLink>
          <NavLink to="usage">Usage</NavLink>
          <NavLink to="audit_log">Audit log</NavLink>
          <NavLink to="settings">Settings</NavLink>
        </nav>
      </div>
      {/*
        A page of its own chunk (routes.tsx) says so while it loads; a chunk that fails to load is
        PageError's. One boundary per page: a Suspense that stays would keep the page being left
        mounted (hidden) until the next one loads, and the keys page must forget its tokens at once.
      */}
      <Suspense key={pathname} fallback={<Loading what="the page" />}>
        <Outlet />
      </Suspense>
    </>
  );
}

export function NotFound() {
  return (
    <p className="message message-error" role="alert">
      There is no such page in the console. <NavLink to="/">Go to your organizations</NavLink>
    </p>
  );
}

/** A page that failed to render: a message and a way back, never a blank page. */
function PageError({ error }: Pick<FallbackProps, 'error'>) {
  return (
    <>
      <ErrorMessage error={error} />
      <p>
        <NavLink to="/">Go to your organizations</NavLink>
      </p>
    </>
  );
}
