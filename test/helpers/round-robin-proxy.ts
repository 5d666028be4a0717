import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A minimal load balancer for tests: each request goes to the next backend in
 * turn; a backend that refuses the connection is skipped (as a real balancer's
 * health check would) and the request tried on the next one.
 */
export class RoundRobinProxy {
  private server: Server | undefined;
  private next = 0;
  readonly served = new Map<number, number>();
  port = 0;

  constructor(private readonly backends: number[]) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    for (let attempt = 0; attempt < this.backends.length; attempt++) {
      const port = this.backends[this.next++ % this.backends.length];
      try {
        await this.relay(port, req, body, res);
        this.served.set(port, (this.served.get(port) ?? 0) + 1);
        return;
      } catch {
        // Connection refused: try the next backend.
      }
    }
    res.writeHead(502).end();
  }

  private relay(
    port: number,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => resolve());
        },
      );
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNREFUSED' && !res.headersSent) reject(error);
        else if (!res.headersSent) res.writeHead(502).end();
      });
      upstream.end(body);
    });
  }
}
