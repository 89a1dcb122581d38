import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  uniqueKey: string;
  /** What the receiver answered (0: it never answered). */
  answered: number;
}

/** How the receiver answers the n-th request it gets (from 1): a status, a status and body, or `hang` to never answer. */
export type Answer = (n: number, received: Omit<ReceivedWebhook, 'answered'>) => number | { status: number; body: string } | 'hang';

/**
 * A real HTTP receiver on loopback, as a user's webhook endpoint: it records every request (headers and raw body) and
 * answers as told. `delivered()` is what a receiver that deduplicates on X-Lago-Unique-Key keeps: the first
 * successfully answered request of each key.
 */
export const startReceiver = async (answer: Answer = () => 200, port = 0) => {
  const requests: ReceivedWebhook[] = [];
  const hanging = new Set<ServerResponse>();
  let respond = answer;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const received = { headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown>, uniqueKey: String(req.headers['x-lago-unique-key']) };
      const answer = respond(requests.length + 1, received);
      const entry: ReceivedWebhook = { ...received, answered: answer === 'hang' ? 0 : typeof answer === 'number' ? answer : answer.status };
      requests.push(entry);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const text = typeof answer === 'number' ? (answer < 300 ? '{"ok":true}' : '{"error":"down"}') : answer.body;
      res.writeHead(entry.answered, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/webhooks`,
    requests,
    /** Changes how later requests are answered. */
    answerWith: (next: Answer) => {
      respond = next;
    },
    delivered: (): ReceivedWebhook[] => {
      const seen = new Set<string>();
      return requests.filter((r) => r.answered >= 200 && r.answered < 300 && !seen.has(r.uniqueKey) && (seen.add(r.uniqueKey), true));
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
