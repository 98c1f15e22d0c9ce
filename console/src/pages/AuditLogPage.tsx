import { useState } from 'react';
import { Button } from 'react-aria-components';
import { useParams } from 'react-router';
import type { AuditEvent } from '../api/client';
import { useAuditEvents } from '../app/queries';
import { formatDateTime, keyName } from '../ui/format';
import { ErrorMessage, Loading } from '../ui/messages';

function actor(event: AuditEvent): string {
  return event.actor.email ?? event.actor.type ?? 'unknown';
}

/** Where a leaked key was found, and what was done (API.md §10). The URL is shown as text, never followed by a click by accident. */
function LeakDetails({ details }: { details: AuditEvent['details'] }) {
  const done = details.action === 'rotate' ? 'rotated' : 'admins notified';
  return (
    <span className="event-detail">
      {' '}
      found in public{details.source ? ` (${details.source})` : ''} at <code>{details.url ?? 'an unknown place'}</code>: {done}
    </span>
  );
}

/** The organization's audit events, newest first, a page at a time through the API's cursors. */
export function AuditLogPage() {
  const { organizationId = '' } = useParams();
  // The cursors of the pages walked through so far: the last is the page shown.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const events = useAuditEvents(organizationId, cursor);
  const nextCursor = events.data?.nextCursor ?? null;

  return (
    <>
      <h1>Audit log</h1>
      <p className="lead">Every change to the organization's API keys, and every reveal, newest first.</p>
      {events.isPending && <Loading what="the audit log" />}
      {events.isError && <ErrorMessage error={events.error} onRetry={() => void events.refetch()} />}
      {events.isSuccess && (
        <>
          {events.data.events.length === 0 ? (
            <p className="message">Nothing has happened to this organization's keys yet.</p>
          ) : (
            <table className="table audit" aria-busy={events.isPlaceholderData || undefined}>
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Time</th>
                  <th scope="col">Key</th>
                </tr>
              </thead>
              <tbody>
                {events.data.events.map((event) => {
                  const { details } = event;
                  return (
                    <tr key={event.id}>
                      <td>
                        <code>{event.type}</code>
                        {event.type === 'api_key.leaked' && <LeakDetails details={details} />}
                      </td>
                      <td>{actor(event)}</td>
                      <td>{formatDateTime(event.occurred_at)}</td>
                      <td>
                        <span className="key-name">{keyName(details.name)}</span> <code>{details.masked_value}</code>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <div className="pager">
            <Button className="button" isDisabled={cursors.length === 1} onPress={() => setCursors((current) => current.slice(0, -1))}>
              Previous page
            </Button>
            <Button
              className="button"
              isDisabled={nextCursor === null || events.isPlaceholderData}
              onPress={() => nextCursor && setCursors((current) => [...current, nextCursor])}
            >
              Next page
            </Button>
          </div>
        </>
      )}
    </>
  );
}
