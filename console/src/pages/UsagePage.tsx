import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useParams } from 'react-router';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { UsageBucket } from '../api/client';
import { lastHours, useApiKeys, useUsage } from '../app/queries';
import { keyName } from '../ui/format';
import { ErrorMessage, Loading } from '../ui/messages';

const HOURS = 7 * 24;
const HOUR_MS = 3_600_000;

/** One hour's requests, summed over the keys shown. */
interface Hour {
  start: number;
  allowed: number;
  denied: number;
  throttled: number;
}

/** Every hour of the range, oldest first, with zeros where nothing was counted (the chart's x axis). */
function hoursOf(usage: readonly UsageBucket[], from: string): Hour[] {
  const first = Date.parse(from);
  const hours: Hour[] = Array.from({ length: HOURS }, (_, index) => ({
    start: first + index * HOUR_MS,
    allowed: 0,
    denied: 0,
    throttled: 0,
  }));
  for (const bucket of usage) {
    const hour = hours[Math.round((Date.parse(bucket.start) - first) / HOUR_MS)];
    if (!hour) continue;
    hour.allowed += bucket.allowed;
    hour.denied += Object.values(bucket.denied).reduce((sum, count) => sum + count, 0);
    hour.throttled += bucket.throttled;
  }
  return hours;
}

const hourFormat = () =>
  new Intl.DateTimeFormat(navigator.languages, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric' });
const count = (value: number) => value.toLocaleString(navigator.languages);

/**
 * Usage (API.md §9): the organization's requests per hour over the last 7 days, allowed, denied
 * and throttled stacked, for all keys or one; the same figures as a table below the chart. The
 * counts come from the access log, a minute or two behind.
 */
export function UsagePage() {
  const { organizationId = '' } = useParams();
  const keys = useApiKeys(organizationId);
  const [apiKeyId, setApiKeyId] = useState('');
  // The range is fixed when the page opens: a new hour shows on the next visit.
  const [range] = useState(() => lastHours(HOURS));
  const query = useMemo(() => ({ ...range, ...(apiKeyId ? { api_key_id: apiKeyId } : {}) }), [range, apiKeyId]);
  const usage = useUsage(organizationId, query);
  const hours = useMemo(() => (usage.data ? hoursOf(usage.data, range.from) : []), [usage.data, range.from]);
  const withTraffic = hours.filter((hour) => hour.allowed + hour.denied + hour.throttled > 0);
  const totals = hours.reduce(
    (sum, hour) => ({ allowed: sum.allowed + hour.allowed, denied: sum.denied + hour.denied, throttled: sum.throttled + hour.throttled }),
    { allowed: 0, denied: 0, throttled: 0 },
  );
  const selectId = useId();
  const format = hourFormat();

  return (
    <>
      <h1>Usage</h1>
      <p className="lead">Requests per hour over the last 7 days, as the API counted them. Counts can be a minute or two behind.</p>
      <div className="usage-filter">
        <label htmlFor={selectId}>Key</label>
        <select id={selectId} value={apiKeyId} onChange={(event) => setApiKeyId(event.target.value)}>
          <option value="">All keys</option>
          {keys.data?.map((key) => (
            <option key={key.id} value={key.id}>
              {keyName(key.name)} ({key.masked_value})
            </option>
          ))}
        </select>
      </div>
      {usage.isPending && <Loading what="the usage" />}
      {usage.isError && <ErrorMessage error={usage.error} onRetry={() => void usage.refetch()} />}
      {usage.isSuccess && (
        <>
          <p className="usage-totals">
            Last 7 days: <strong>{count(totals.allowed)}</strong> allowed, <strong>{count(totals.denied)}</strong> denied,{' '}
            <strong>{count(totals.throttled)}</strong> throttled.
          </p>
          <UsageChart
            hours={hours}
            label={`Chart of requests per hour over the last 7 days: ${count(totals.allowed)} allowed, ${count(totals.denied)} denied, ${count(totals.throttled)} throttled. The table below has the same figures.`}
          />
          <h2>Requests per hour</h2>
          {withTraffic.length === 0 ? (
            <p className="message">No requests in the last 7 days.</p>
          ) : (
            <table className="table usage" aria-busy={usage.isPlaceholderData || undefined}>
              <caption className="visually-hidden">Requests per hour over the last 7 days, hours with requests only</caption>
              <thead>
                <tr>
                  <th scope="col">Hour</th>
                  <th scope="col">Allowed</th>
                  <th scope="col">Denied</th>
                  <th scope="col">Throttled</th>
                </tr>
              </thead>
              <tbody>
                {withTraffic.map((hour) => (
                  <tr key={hour.start}>
                    <th scope="row">{format.format(new Date(hour.start))}</th>
                    <td className="number">{count(hour.allowed)}</td>
                    <td className="number">{count(hour.denied)}</td>
                    <td className="number">{count(hour.throttled)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}

const SERIES = [
  { label: 'Throttled', color: '#8b5cf6' },
  { label: 'Denied', color: '#dc2626' },
  { label: 'Allowed', color: '#16a34a' },
] as const;

/**
 * The stacked bars, drawn by uPlot: each series is drawn as the sum of itself and those below it,
 * the tallest first, so each bar shows its three parts; the legend shows each part's own count.
 */
function UsageChart({ hours, label }: { hours: readonly Hour[]; label: string }) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const own = [hours.map((hour) => hour.throttled), hours.map((hour) => hour.denied), hours.map((hour) => hour.allowed)];
    const stacked = [
      hours.map((hour) => hour.allowed + hour.denied + hour.throttled),
      hours.map((hour) => hour.allowed + hour.denied),
      hours.map((hour) => hour.allowed),
    ];
    const bars = uPlot.paths.bars?.({ size: [0.8, 12], gap: 1 });
    const width = () => Math.max(320, element.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 280,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
        axes: [{}, { label: 'Requests', size: 60 }],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: 'Hour' },
          ...SERIES.map((series, index) => ({
            label: series.label,
            stroke: series.color,
            fill: series.color,
            width: 0,
            paths: bars,
            points: { show: false },
            value: (_u: uPlot, _value: number | null, _series: number, at: number | null) =>
              at === null ? '–' : count(own[index]![at] ?? 0),
          })),
        ],
      },
      [hours.map((hour) => hour.start / 1000), ...stacked],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 280 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [hours]);

  // The picture is the wrapper's, named by its figures; what uPlot draws inside (a canvas, a legend
  // table) is hidden from assistive technology, which reads the table below instead.
  return (
    <div className="usage-chart" role="img" aria-label={label}>
      <div ref={container} aria-hidden="true" />
    </div>
  );
}
