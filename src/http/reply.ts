import type { FastifyReply } from 'fastify';
import type { Result } from '../lib/result.ts';
import { sendError } from './errors.ts';

/** Sends a service result: the rendered value with 200, or Lago's error body for the error. */
export const respond = <T>(reply: FastifyReply, result: Result<T>, render: (value: T) => unknown): FastifyReply =>
  result.ok ? reply.status(200).send(render(result.value)) : sendError(reply, result.error);
