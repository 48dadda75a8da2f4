// index.d.ts — types of the public API of mistral-wasm (index.mjs). See README.md.

// ---------- createEngine ----------

export type ModelSource = string | URL | Blob | ArrayBuffer | Uint8Array;
export type ChatFormat = 'auto' | 'mistral_v1' | 'mistral_v3' | 'raw';
export type KvType = 'f32' | 'f16' | 'auto';
/** 'wasm64-relaxed': the memory64 module built with relaxed SIMD (faster int8 decode kernels;
 *  browsers with memory64 and relaxed SIMD, cross-origin isolated); 'wasm64': the memory64 module
 *  with SIMD128; 'mt': threaded Emscripten module; 'st': single-thread Emscripten module */
export type Variant = 'wasm64-relaxed' | 'wasm64' | 'mt' | 'st';

/** The GGUF header (engine.info and the 'header' progress event). */
export interface ModelInfo {
  arch: string;
  architecture: string;
  name: string;
  n_vocab: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_head_kv?: number;
  n_ctx_train?: number;
  weight_bytes?: number;
  [key: string]: unknown;
}

export interface LoadProgress {
  phase: 'download' | 'cache' | 'copy' | 'read' | 'header' | 'ready';
  loaded: number;
  total: number | null;
  fraction: number | null;
  /** bytes already stored when a download resumed */
  resumedFrom?: number;
  /** the 'header' phase: the checked GGUF header */
  info?: ModelInfo;
  fileSize?: number;
}

export interface EngineOptions {
  /** a URL string / URL, a File / Blob, bytes, or (Node) a file path */
  model: ModelSource;
  /** threads of the threaded module: 1 to the machine's cores (default all) */
  threads?: number;
  /** tokens of context (default min(model's training context, 4096)) */
  contextSize?: number;
  /** tokens evaluated per forward chunk of a prompt: 1 to 4096 (default 32) */
  nBatch?: number;
  onProgress?: (p: LoadProgress) => void;
  /** cancels the download / load (AbortError) */
  signal?: AbortSignal;
  /** expected sha256 (64 hex digits) of the file */
  modelSha256?: string;
  /** shift the context when it fills (default true) */
  kvShift?: boolean;
  /** bytes the engine may use (default: 'mt'/'st' 4 GiB minus runtime room; 'wasm64(-relaxed)' 3/4 of
   *  navigator.deviceMemory, else 8 GiB; never above 3/4 of the RAM when it is known) */
  memoryLimit?: number;
  /** browsers: keep downloads in OPFS / Cache API (default true) */
  cache?: boolean | 'opfs' | 'cache-api';
  /** Node: keep URL downloads (and resume them) in this directory */
  cacheDir?: string;
  /** force a module (default: the best this runtime can run: 'wasm64-relaxed', then 'wasm64',
   *  then 'mt', then 'st');
   *  one this runtime cannot run is an UnsupportedError */
  variant?: Variant;
  /** URL or path of the directory with mw-mt.mjs / mw-st.mjs / mw64.wasm / mw64-relaxed.wasm
   *  (default: the package's dist/) */
  moduleBase?: string | URL;
  chatFormat?: ChatFormat;
  /** KV cache element type (default 'f32') */
  kvType?: KvType;
  /** a Mixtral's experts stay in the file and are read into a cache of this many bytes as tokens
   *  need them (default 0 = all experts resident). Node: a model file path; browsers: a File/Blob
   *  (copied into OPFS first, progress phase 'copy') or a URL (downloaded into OPFS) */
  expertCache?: number;
}

// ---------- requests ----------

export interface TextPart { type: 'text'; text: string }
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  content: string | TextPart[] | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: ToolCall[];
}

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}
export interface ToolCall { id: string; type: 'function'; function: { name: string; arguments: string } }
export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string } };

export interface GenerationOptions {
  /** default 0.7; 0 is greedy */
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  /** default: what remains of the context after the prompt */
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  repeat_penalty?: number;
  penalty_last_n?: number;
  /** only 1 ('n > 1 is not supported') */
  n?: 1;
  /** token id → bias added to the logits before sampling, in [-100, 100]; -100 bans the token */
  logit_bias?: Record<string, number>;
  /** JSON output constrained by the engine (see web/README.md) */
  response_format?: ResponseFormat;
  /** with stream: a last chunk with usage and choices: [] */
  stream_options?: { include_usage?: boolean };
  /** stops generation between two tokens: finish_reason 'abort' */
  signal?: AbortSignal;
}

export interface ChatCompletionRequest extends GenerationOptions {
  messages: ChatMessage[];
  /** forced calls ('required', a named function) are constrained to the parameters' schema */
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  logprobs?: boolean;
  /** 0..20 most likely tokens per position (with logprobs) */
  top_logprobs?: number;
  model?: string;
  stream?: boolean;
}
export interface CompletionRequest extends GenerationOptions {
  prompt: string;
  /** legacy: how many most likely tokens per position (0..20) */
  logprobs?: number;
  model?: string;
  stream?: boolean;
}
export interface EmbeddingRequest {
  input: string | string[];
  pooling?: 'mean' | 'last';
  model?: string;
  signal?: AbortSignal;
}

// ---------- responses ----------

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

export type FinishReason = 'stop' | 'length' | 'abort' | 'tool_calls';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** prompt tokens actually evaluated (the rest came from the KV cache) */
  prompt_tokens_evaluated: number;
  /** tokens of the request left out of the prompt the model saw */
  prompt_tokens_dropped: number;
  /** oldest chat messages dropped to fit the context */
  prompt_messages_dropped: number;
  /** times generation ran past the end of the context */
  context_shifts: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] };
                   finish_reason: FinishReason; logprobs: { content: TokenLogprob[] } | null }>;
  usage: Usage;
}
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  /** empty in the include_usage chunk */
  choices: Array<{ index: number; delta: { role?: 'assistant'; content?: string; tool_calls?: Array<ToolCall & { index: number }> };
                   finish_reason: FinishReason | null; logprobs: { content: TokenLogprob[] } | null }>;
  /** on the last chunk */
  usage?: Usage;
}
export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{ index: number; text: string; finish_reason: FinishReason | null;
                   logprobs: { tokens: string[]; token_logprobs: number[]; top_logprobs: Array<Record<string, number>>; text_offset: number[] } | null }>;
  /** on the whole completion and on the last chunk of a stream */
  usage?: Usage;
}
/** A streamed completion's chunks have the same shape as the whole. */
export type CompletionChunk = Completion;
export interface EmbeddingList {
  object: 'list';
  model: string;
  data: Array<{ object: 'embedding'; index: number; embedding: number[] }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** A stream: `for await (const c of await create(…))` and `for await (const c of create(…))` both work. */
export type StreamPromise<T> = Promise<AsyncIterableIterator<T>> & AsyncIterable<T>;

export interface EngineStats {
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
  tokens_per_s: number;
  memory_bytes: number;
  context_size: number;
  context_used: number;
  threads: number;
  variant: Variant | null;
  shifts?: number;
  /** streamed experts (expertCache): uses found in the cache / read from the file, bytes read,
   *  bytes the cache holds; zeros when the experts are resident */
  expert_hits?: number;
  expert_misses?: number;
  expert_bytes_read?: number;
  expert_cache_bytes?: number;
  /** the model's expert budget in bytes (expertCache) */
  expert_cache_budget?: number;
  /** streamed experts: the next layer's router applied ahead picked these, and that layer then
   *  used expert_predicted_used of them (browsers have no read-ahead: counted only) */
  expert_predicted?: number;
  expert_predicted_used?: number;
  last?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Engine {
  chat: {
    completions: {
      create(req: ChatCompletionRequest & { stream: true }): StreamPromise<ChatCompletionChunk>;
      create(req: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
      create(req: ChatCompletionRequest): Promise<ChatCompletion> | StreamPromise<ChatCompletionChunk>;
    };
  };
  completions: {
    create(req: CompletionRequest & { stream: true }): StreamPromise<CompletionChunk>;
    create(req: CompletionRequest & { stream?: false }): Promise<Completion>;
    create(req: CompletionRequest): Promise<Completion> | StreamPromise<CompletionChunk>;
  };
  embeddings: { create(req: EmbeddingRequest): Promise<EmbeddingList> };
  /** token ids of text (BOS first unless bos: false; control tokens only with special: true) */
  tokenize(text: string, options?: { bos?: boolean; special?: boolean }): Promise<number[]>;
  detokenize(ids: ArrayLike<number>): Promise<string>;
  /** forget the KV cache */
  reset(): Promise<void>;
  getStats(): Promise<EngineStats>;
  /** end the worker and free all memory; pending requests reject */
  dispose(): Promise<void>;
  readonly stats: EngineStats;
  readonly info: ModelInfo;
  readonly model: string;
  readonly variant: Variant;
  readonly threads: number;
  readonly contextSize: number;
  readonly kvType: 'f32' | 'f16';
}

export function createEngine(options: EngineOptions): Promise<Engine>;
/** true when this runtime validates WebAssembly SIMD128 code */
export function hasWasmSimd(): boolean;
/** the best module this runtime can run: 'wasm64-relaxed' (memory64 + relaxed SIMD + shared
 *  memory + Workers, never Node), then 'wasm64' (the same without relaxed SIMD), then 'mt'
 *  (shared memory: Node or a cross-origin-isolated page), then 'st' */
export function chooseVariant(): Variant;

// ---------- errors ----------

export interface MwErrorOptions { code?: string; status?: number; cause?: unknown }
export class MwError extends Error {
  constructor(message: string, options?: MwErrorOptions);
  /** stable string code, e.g. 'not_gguf', 'download_failed' */
  code: string;
  /** the C mw_status, when the error comes from the engine */
  status?: number;
}
/** code 'not_gguf' or 'truncated' */
export class NotGgufError extends MwError {}
/** code 'unsupported_model' */
export class UnsupportedModelError extends MwError {}
/** code 'model_too_large' */
export class ModelTooLargeError extends MwError {}
/** code 'no_simd' */
export class NoSimdError extends MwError { constructor(message?: string, options?: MwErrorOptions) }
/** code 'aborted'; name 'AbortError' */
export class AbortError extends MwError { constructor(message?: string, options?: MwErrorOptions); name: 'AbortError' }
/** code 'download_failed' */
export class DownloadError extends MwError {}
/** code 'worker_crashed' */
export class WorkerCrashedError extends MwError { constructor(message?: string, options?: MwErrorOptions) }
/** code 'context_full' */
export class ContextFullError extends MwError {}
/** code 'invalid_argument' */
export class InvalidArgumentError extends MwError {}
/** this runtime cannot run what was asked for (e.g. variant 'wasm64' in Node); code 'unsupported' */
export class UnsupportedError extends MwError {}
/** the browser's storage (OPFS) cannot hold or serve the model (expertCache in browsers): code
 *  'storage_unavailable' (no OPFS / no synchronous access), 'storage_quota' (too little room) or
 *  'storage_busy' (the stored copy is open in another engine: Firefox allows one reader) */
export class StorageError extends MwError {}
