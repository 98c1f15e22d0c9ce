import { Button } from 'react-aria-components';
import { Navigate, useNavigate } from 'react-router';
import { useMe } from '../app/queries';
import { ErrorMessage, Loading } from '../ui/messages';

/**
 * Which organization to manage (from `GET /v1/me`): a member of one goes straight to it; a member
 * of several picks one, each a button named with the organization's name.
 */
export function OrganizationPicker() {
  const me = useMe();
  const navigate = useNavigate();

  if (me.isPending) return <Loading what="your organizations" />;
  if (me.isError) return <ErrorMessage error={me.error} onRetry={() => void me.refetch()} />;
  const { organizations } = me.data;
  if (organizations.length === 1) return <Navigate to={`/organizations/${encodeURIComponent(organizations[0]!.id)}/api_keys`} replace />;

  return (
    <>
      <h1>Choose an organization</h1>
      {organizations.length === 0 ? (
        <p className="message" role="status">
          You are not a member of any organization. Ask an operator of keyward to add you to yours.
        </p>
      ) : (
        <ul className="organizations">
          {organizations.map((organization) => (
            <li key={organization.id}>
              <Button
                className="button organization-button"
                onPress={() => navigate(`/organizations/${encodeURIComponent(organization.id)}/api_keys`)}
              >
                {organization.name}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
