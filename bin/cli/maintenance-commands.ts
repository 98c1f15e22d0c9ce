import type { Command } from 'commander';
import { redriveFailureQueue } from '../../lambdas/notifications/redrive';
import { redriveJobs } from '../../lambdas/service/job-redrive';
import { redriveDeadLetterFile, redriveJobsFile } from '../../local/dead-letter-redrive';
import type { CommandKit } from './command-kit';
import { failureQueueFor, jobRunnerFor, mailerFor, parkedJobsFor } from './target';

/**
 * `keyward notifications redrive`, `keyward jobs redrive` and `keyward migrate`: what the
 * notifier and the lifecycle jobs gave up on, and data written by an earlier version.
 */
export function addMaintenanceCommands(program: Command, { sub, action }: CommandKit): void {
  const notifications = sub(program, 'notifications', 'admin emails');

  sub(
    notifications,
    'redrive',
    "re-deliver the admin emails that ended in the notifier's failure queue (AWS) or dead-letter file (local); never twice",
  ).action(
    action(async ({ target, operator, io: out, print }) => {
      const redriveEvent = operator.eventRedrive(mailerFor(target));
      const result =
        target.mode === 'local'
          ? await redriveDeadLetterFile(target.stateDir, redriveEvent)
          : await redriveFailureQueue({
              queue: failureQueueFor(target.stack),
              undelivered: operator.undelivered,
              redriveEvent,
              warn: (message) => out.err(`keyward: ${message}\n`),
            });
      print(result, `Redriven: ${result.redriven}, failed: ${result.failed}.`);
      if (result.failed > 0) throw new RedriveIncomplete(result.failed, 'email(s) not delivered');
    }),
  );

  const jobs = sub(program, 'jobs', 'lifecycle jobs: scheduled retirements and expiry reminders');

  sub(
    jobs,
    'redrive',
    "run again the retirements and reminders that failed for good: the job failure queue and the scheduler's dead-letter queue (AWS) or the dead-letter file (local)",
  ).action(
    action(async ({ target, operator, io: out, print }) => {
      const run = jobRunnerFor(target, operator);
      const warn = (message: string) => out.err(`keyward: ${message}\n`);
      const result =
        target.mode === 'local'
          ? await redriveJobsFile(target.stateDir, run, warn)
          : await redriveJobs({ queues: parkedJobsFor(target.stack), run, warn });
      print(result, `Redriven: ${result.redriven}, failed: ${result.failed}.`);
      if (result.failed > 0) throw new RedriveIncomplete(result.failed, 'job(s) failed again');
    }),
  );

  sub(program, 'migrate', 'bring data written by an earlier version up to date (idempotent; AWS: needs dynamodb:Scan)').action(
    action(async ({ operator, print }) => {
      const result = await operator.migrate();
      const { written, removed } = result.memberships;
      const hot = result.hot_items;
      const usage = result.usage_identifiers;
      print(
        result,
        `Memberships: ${written} written, ${removed} removed (the rest were up to date).\nHot items: ${hot.rewritten} rewritten in the compact encoding, ${hot.skipped} left as stored.${
          usage ? `\nUsage identifiers: ${usage.created} created, ${usage.organizations} organizations checked.` : ''
        }`,
      );
    }),
  );
}

/** Some emails or jobs are still not done (the result was printed): exit 1, so scripts notice. */
class RedriveIncomplete extends Error {
  constructor(failed: number, what: string) {
    super(`${failed} ${what}; they stay for the next redrive`);
  }
}
