import type { Command } from 'commander';
import { isEmailAddress } from '../../lambdas/domain/text';
import { createDevIssuer } from '../../local/dev-issuer';
import { loadOrCreateSigner, postReport } from '../../local/secret-scanning';
import type { CommandKit, GlobalOptions } from './command-kit';
import { resolveTarget, UsageError } from './target';

/** `keyward token` and `keyward dev …`: helpers of the local stack only. */
export function addDevCommands(program: Command, { io, sub, action }: CommandKit): void {
  sub(program, 'token', 'mint a dev admin JWT (local stack only)')
    .requiredOption('--email <email>', "the admin's email")
    .action(
      action<{ email: string }>(async ({ target, print }, { email }) => {
        if (target.mode !== 'local') throw new UsageError('token works with the local stack only (it mints dev JWTs); drop --stack');
        if (!isEmailAddress(email.trim())) throw new UsageError('invalid input', { email: [`"${email}" is not an email address`] });
        const issuer = await createDevIssuer({
          stateDir: target.stateDir,
          issuer: target.runtime.issuer,
          audience: target.runtime.audience,
        });
        const token = await issuer.mint({ email: email.trim() });
        print({ token }, token);
      }),
    );

  const dev = sub(program, 'dev', 'local development helpers (local stack only)');

  sub(dev, 'report-leak', "sign and post a secret-scanning report of <token>, exactly as GitHub's partner program does (API.md §10)")
    .argument('<token>', 'the token found in public')
    .option('--url <url>', "where it was found (the report item's url)", 'https://github.com/example/app/blob/main/.env')
    .action(async (token: string, options: { url: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const target = await resolveTarget({ stack: globals.stack }, io);
      if (target.mode !== 'local') {
        throw new UsageError('dev report-leak works with the local stack only (it signs with the stand-in GitHub key); drop --stack');
      }
      const endpoint = `${target.runtime.gateway_url}/v1/secret_scanning/github`;
      const answer = await postReport(endpoint, [{ token, url: options.url, source: 'commit' }], loadOrCreateSigner(target.stateDir));
      if (answer.status !== 200 || !Array.isArray(answer.body)) {
        throw new Error(`the endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      const verdicts = answer.body as { token_hash: string; label: string }[];
      io.out(
        globals.json
          ? `${JSON.stringify(verdicts)}\n`
          : `${verdicts.map((verdict) => `${verdict.label} (token SHA-256 ${verdict.token_hash})`).join('\n')}\n`,
      );
    });
}
