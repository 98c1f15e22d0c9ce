import type { RetirementJob } from '../../../lambdas/domain/ports';
import { restrictScheduler, restrictSecretBox } from '../../../lambdas/runtime/wiring';
import { InMemoryScheduler, plainSecretBox } from '../../support/fakes';

const CONTEXT = { organization_id: 'acme', api_key_id: '01JKEY' };
const JOB: RetirementJob = { organizationId: 'acme', apiKeyId: '01JKEY', expiresAt: '2036-11-27T04:00:00.000Z', id: 'job-1' };

describe('what a function gets, as its manifest row allows (the local stack has no IAM to do it)', () => {
  it('gives an `encrypt` function a box that encrypts and never decrypts', async () => {
    const box = restrictSecretBox(plainSecretBox, 'encrypt');
    const sealed = await box.encrypt('kw_token', CONTEXT);
    expect(await plainSecretBox.decrypt(sealed, CONTEXT)).toBe('kw_token');
    await expect(box.decrypt(sealed, CONTEXT)).rejects.toThrow('not configured to decrypt');
  });

  it('gives a `decrypt` function a box that decrypts and never encrypts', async () => {
    const box = restrictSecretBox(plainSecretBox, 'decrypt');
    expect(await box.decrypt(await plainSecretBox.encrypt('kw_token', CONTEXT), CONTEXT)).toBe('kw_token');
    await expect(box.encrypt('kw_token', CONTEXT)).rejects.toThrow('not configured to encrypt');
  });

  it('lets a `remove` function remove a job but never create one, and a `manage` function do both', async () => {
    const jobs = new InMemoryScheduler();
    await restrictScheduler(jobs, 'manage').scheduleRetirement(JOB);
    expect(jobs.pending).toEqual([JOB]);
    const remover = restrictScheduler(jobs, 'remove');
    await expect(remover.scheduleRetirement({ ...JOB, id: 'job-2' })).rejects.toThrow('may only remove lifecycle jobs');
    await remover.cancelRetirement(JOB);
    expect(jobs.pending).toEqual([]);
  });
});
