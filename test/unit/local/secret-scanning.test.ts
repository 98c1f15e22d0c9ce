import { verify } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeyDocument } from '../../../lambdas/adapters/github-public-keys';
import { keyDocument, loadOrCreateSigner, reportBody, signatureHeaders } from '../../../local/secret-scanning';

/** The local stand-in for GitHub's secret-scanning signer (API.md §10). */
describe('the local secret-scanning signer', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'keyward-signer-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('keeps its P-256 key in the state directory, owner-only, and the same key across starts', () => {
    const first = loadOrCreateSigner(stateDir);
    expect(statSync(join(stateDir, 'secret-scanning-signer.pem')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSigner(stateDir).keyIdentifier).toBe(first.keyIdentifier);
    expect(first.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it("publishes its key in GitHub's format and signs a report body as GitHub does", () => {
    const signer = loadOrCreateSigner(stateDir);
    const keys = parseKeyDocument(JSON.parse(JSON.stringify(keyDocument([signer]))));
    const body = reportBody([{ token: 'kw_x' }]);
    expect(JSON.parse(body)).toEqual([
      { token: 'kw_x', type: 'keyward_api_key', url: 'https://github.com/example/repo/blob/0000000/config.env', source: 'content' },
    ]);
    const headers = signatureHeaders(body, signer);
    const key = keys.get(headers['Github-Public-Key-Identifier']!)!;
    const signature = Buffer.from(headers['Github-Public-Key-Signature']!, 'base64');
    expect(verify('sha256', Buffer.from(body), { key, dsaEncoding: 'der' }, signature)).toBe(true);
    expect(verify('sha256', Buffer.from(`${body} `), { key, dsaEncoding: 'der' }, signature)).toBe(false);
  });
});
