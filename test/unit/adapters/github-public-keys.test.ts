import { PublicKeyDirectory, REFETCH_INTERVAL_MS } from '../../../lambdas/adapters/github-public-keys';
import { ManualClock } from '../../../lambdas/domain/clock';
import { InvalidSignature, SignatureKeysUnavailable } from '../../../lambdas/domain/leak';
import { generateSigner, type ScanningSigner, signatureHeaders } from '../../../local/secret-scanning';
import { KeyDocumentServer } from '../../support/secret-scanning';

/**
 * The report signature check (API.md §10) against generated P-256 key pairs, with the key
 * document served over real HTTP.
 */

const BODY = Buffer.from('[{"token":"kw_x","type":"keyward_api_key","url":"https://github.com/o/r","source":"content"}]');

function signed(body: Buffer, signer: ScanningSigner) {
  const headers = signatureHeaders(body, signer);
  return { id: headers['Github-Public-Key-Identifier']!, signature: headers['Github-Public-Key-Signature']! };
}

let github: ScanningSigner;
let other: ScanningSigner;
let server: KeyDocumentServer;
let clock: ManualClock;

beforeAll(async () => {
  github = generateSigner();
  other = generateSigner();
  server = await KeyDocumentServer.start([github]);
});
afterAll(() => server.stop());
beforeEach(() => {
  server.fetches = 0;
  server.fail = false;
  server.serve([github]);
  clock = new ManualClock();
});

const directory = (url = server.url) => new PublicKeyDirectory({ url, clock });

describe('PublicKeyDirectory', () => {
  it('accepts a body signed by a published key', async () => {
    const { id, signature } = signed(BODY, github);
    await expect(directory().verify(BODY, id, signature)).resolves.toBeUndefined();
  });

  it('refuses a tampered body', async () => {
    const { id, signature } = signed(BODY, github);
    const tampered = Buffer.from(BODY.toString().replace('content', 'commit'));
    await expect(directory().verify(tampered, id, signature)).rejects.toBeInstanceOf(InvalidSignature);
  });

  it("refuses a signature by another key under the published key's identifier", async () => {
    const { signature } = signed(BODY, other);
    await expect(directory().verify(BODY, github.keyIdentifier, signature)).rejects.toBeInstanceOf(InvalidSignature);
  });

  it('refuses an identifier the document does not hold', async () => {
    const { id, signature } = signed(BODY, other);
    await expect(directory().verify(BODY, id, signature)).rejects.toBeInstanceOf(InvalidSignature);
  });

  it('refuses missing headers and a signature that is not DER', async () => {
    const { id, signature } = signed(BODY, github);
    const keys = directory();
    await expect(keys.verify(BODY, undefined, signature)).rejects.toBeInstanceOf(InvalidSignature);
    await expect(keys.verify(BODY, id, undefined)).rejects.toBeInstanceOf(InvalidSignature);
    await expect(keys.verify(BODY, id, Buffer.from('not a signature').toString('base64'))).rejects.toBeInstanceOf(InvalidSignature);
  });

  it('answers "unavailable" (so the sender retries) when the document cannot be fetched, and refuses nothing it cannot check', async () => {
    const { id, signature } = signed(BODY, github);
    server.fail = true;
    await expect(directory().verify(BODY, id, signature)).rejects.toBeInstanceOf(SignatureKeysUnavailable);
    await expect(directory('http://127.0.0.1:1/unreachable').verify(BODY, id, signature)).rejects.toBeInstanceOf(SignatureKeysUnavailable);
  });

  it('caches the document, and refetches it for an unknown identifier at most once a minute', async () => {
    const keys = directory();
    const byGithub = signed(BODY, github);
    await keys.verify(BODY, byGithub.id, byGithub.signature);
    await keys.verify(BODY, byGithub.id, byGithub.signature);
    expect(server.fetches).toBe(1);

    // GitHub publishes a new key: within the minute, its reports are refused without a fetch.
    server.serve([github, other]);
    const byOther = signed(BODY, other);
    await expect(keys.verify(BODY, byOther.id, byOther.signature)).rejects.toBeInstanceOf(InvalidSignature);
    await expect(keys.verify(BODY, 'forged-identifier', byOther.signature)).rejects.toBeInstanceOf(InvalidSignature);
    expect(server.fetches).toBe(1);

    clock.advance(REFETCH_INTERVAL_MS);
    await keys.verify(BODY, byOther.id, byOther.signature);
    expect(server.fetches).toBe(2);
    // Known identifiers never refetch.
    clock.advance(REFETCH_INTERVAL_MS);
    await keys.verify(BODY, byGithub.id, byGithub.signature);
    expect(server.fetches).toBe(2);
  });

  it('keeps trusting the keys it has when a refetch fails', async () => {
    const keys = directory();
    const byGithub = signed(BODY, github);
    await keys.verify(BODY, byGithub.id, byGithub.signature);
    server.fail = true;
    clock.advance(REFETCH_INTERVAL_MS);
    await expect(keys.verify(BODY, 'unknown', byGithub.signature)).rejects.toBeInstanceOf(InvalidSignature);
    await keys.verify(BODY, byGithub.id, byGithub.signature);
  });
});
