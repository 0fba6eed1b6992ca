import net from 'node:net';

/**
 * A TCP proxy in front of a shared server (PostgreSQL), so a test can make that server
 * unreachable for one process without stopping it for everybody else on the machine.
 * `cut()` stops listening and destroys every open connection (what a network partition or a
 * server crash looks like to the client); `restore()` listens again on the same port.
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private listenPort = 0;
  /** Connections accepted since the proxy was created (a test can check the client really used it). */
  accepted = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  get port(): number {
    return this.listenPort;
  }

  get open(): boolean {
    return this.server !== undefined;
  }

  /** Listens on `port` (0: any free port, kept for later `restore()` calls). */
  async start(port = this.listenPort): Promise<number> {
    if (this.server) return this.listenPort;
    const server = net.createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.listenPort = (server.address() as net.AddressInfo).port;
    return this.listenPort;
  }

  restore(): Promise<number> {
    return this.start(this.listenPort);
  }

  /** Refuses new connections and drops the open ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private pipe(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
