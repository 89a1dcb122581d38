import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// Every attempt opens its own connection. Node's default agent keeps idle connections for reuse, and a receiver may
// close its end of one just as an attempt is written to it: the attempt then fails with ECONNRESET, through no fault of
// the receiver, and the webhook (and every later one about the same object) waits for a retry. Lago does not reuse
// connections for webhooks either.
const agents = { http: new HttpAgent({ keepAlive: false }), https: new HttpsAgent({ keepAlive: false }) };

export interface PostAnswer {
  status: number;
  /** The first `keep` characters of the answer's body. */
  body: string;
}

/**
 * POSTs a body and resolves with the answer's status and the start of its body, or rejects on a network error or
 * when `timeoutMs` passes. node:http rather than fetch: fetch refuses the ports the Fetch standard blocks (9, 25,
 * 6000, ...), where a user's endpoint may well listen. Redirects are not followed (Lago does not either).
 */
export const postBody = (url: string, headers: Record<string, string>, body: string, timeoutMs: number, keep: number): Promise<PostAnswer> =>
  new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error('invalid URL'));
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : null;
    if (!send) {
      reject(new Error(`unsupported protocol ${target.protocol}`));
      return;
    }
    const agent = target.protocol === 'https:' ? agents.https : agents.http;
    const payload = Buffer.from(body);
    const req = send(target, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(payload.length) } }, (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const finish = () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, keep) });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        // The status decided the outcome; the rest of a long answer is neither awaited nor kept.
        if (length >= keep * 4) {
          finish();
          res.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code ? new Error(error.code) : error);
    });
    req.end(payload);
  });
