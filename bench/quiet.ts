/**
 * Imported first by bench/run.ts, before any module creates a Powertools logger or metrics: the
 * bench prints tables only. The authorizer runs in this process (directly and behind the local
 * gateway) thousands of times; its EMF metric lines and its logs would land between the tables.
 * What the function writes per request is measured in a child process instead (section 9), where
 * its output is captured, not printed.
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
delete process.env.POWERTOOLS_DEV;
