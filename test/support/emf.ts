/**
 * Reads the embedded metric format (EMF) lines that Powertools Metrics prints on stdout, as
 * CloudWatch would: one data point per metric and dimension set.
 */
export interface EmfLine {
  _aws: {
    Timestamp?: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [field: string]: unknown;
}

export interface DataPoint {
  namespace: string;
  metric: string;
  unit: string;
  value: unknown;
  dimensions: Record<string, unknown>;
}

export function dataPoints(lines: EmfLine[]): DataPoint[] {
  return lines.flatMap((line) =>
    line._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.flatMap((metric) =>
        directive.Dimensions.map((set) => ({
          namespace: directive.Namespace,
          metric: metric.Name,
          unit: metric.Unit,
          value: line[metric.Name],
          dimensions: Object.fromEntries(set.map((name) => [name, line[name]])),
        })),
      ),
    ),
  );
}

/**
 * Collects the EMF lines written to stdout from now on (other output passes through) into the
 * returned array; `jest.restoreAllMocks()` stops it.
 */
export function captureEmf(): EmfLine[] {
  const lines: EmfLine[] = [];
  const write = process.stdout.write.bind(process.stdout);
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (!text.includes('"_aws"')) return write(chunk, ...(rest as []));
    lines.push(JSON.parse(text) as EmfLine);
    return true;
  });
  return lines;
}
