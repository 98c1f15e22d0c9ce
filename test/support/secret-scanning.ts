import { createServer, type Server } from 'node:http';
import { keyDocument, type ScanningSigner } from '../../local/secret-scanning';

/**
 * A signer's public-key document over real HTTP on the loopback (GitHub's
 * `/meta/public_keys/secret_scanning` stand-in), counting how often it is fetched. `serve` swaps
 * the signers it publishes; `fail` makes it answer 503.
 */
export class KeyDocumentServer {
  fetches = 0;
  fail = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private signers: readonly ScanningSigner[],
  ) {}

  static async start(signers: readonly ScanningSigner[]): Promise<KeyDocumentServer> {
    let self: KeyDocumentServer | undefined;
    const server = createServer((_request, response) => {
      self!.fetches += 1;
      if (self!.fail) return void response.writeHead(503).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keyDocument(self!.signers)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    self = new KeyDocumentServer(server, `http://127.0.0.1:${address.port}/meta/public_keys/secret_scanning`, signers);
    return self;
  }

  serve(signers: readonly ScanningSigner[]): void {
    this.signers = signers;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
