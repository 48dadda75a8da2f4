// server.d.ts — types of mistral-wasm/server (server.mjs): the OpenAI-compatible HTTP server.
import type { Server } from 'node:http';
import type { Engine, FinishReason } from './index.js';

export const DEFAULT_HOST: string;
export const DEFAULT_PORT: number;
export const DEFAULT_MAX_QUEUE: number;
export const DEFAULT_MAX_BODY: number;

export interface ServerOptions {
  engine: Engine;
  /** the name /v1/models reports (default engine.model) */
  modelId?: string;
  /** requests that may wait while one runs (default 16; one more gets 503) */
  maxQueue?: number;
  /** largest request body in bytes (default 4 MiB; 413 past it) */
  maxBodyBytes?: number;
  /** answer only loopback Host headers (default true; 403 otherwise) */
  loopbackOnly?: boolean;
  /** called after each generation / embedding request */
  onFinished?: (r: { route: 'chat' | 'completion' | 'embeddings'; finish_reason: FinishReason | null;
                     completion_tokens: number; aborted: boolean }) => void;
}

/** An error answered with an HTTP status in OpenAI's shape { error: { message, type, param, code } }. */
export class HttpError extends Error {
  constructor(status: number, message: string, options?: { type?: string; param?: string | null; code?: string | null;
                                                              headers?: Record<string, string> });
  status: number;
  type: string;
  param: string | null;
  code: string | null;
  headers: Record<string, string>;
}

export function createServer(options: ServerOptions): Server & { queue: { readonly waiting: number; maxWaiting: number } };
/** Start listening; resolves with the base URL ('http://host:port'). */
export function listen(server: Server, options?: { host?: string; port?: number }): Promise<string>;
export function isLoopback(host: string): boolean;
