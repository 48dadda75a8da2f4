// tools.mjs — OpenAI function calling and response formats over constrained JSON decoding:
// request validation, the schema a forced tool call is constrained to, the prompt text that
// shows the tools to the model, and parsing the constrained output into tool_calls.
//
// Prompt formats (documented in web/README.md). Mistral v3 vocabularies (the [TOOL_CALLS] /
// [AVAILABLE_TOOLS] / [TOOL_RESULTS] control tokens): Mistral's own format, rendered as token
// ids by the C core (mw_chat_tokenize_tools; toolSpec gives it the tools); a call is the
// [TOOL_CALLS] id followed by a JSON array [{"name", "arguments"}]. Other vocabularies: plain
// text (toolMessages): the tools go in a system message "You can call these functions ...
// [{"type":"function","function":{...}}]" and a call is the text TOOL_MARKER followed by the
// array. History: an assistant message with tool_calls becomes `[TOOL_CALLS] [...]`, a tool
// message a user turn `[TOOL_RESULTS] {"call_id", "content"}[/TOOL_RESULTS]`.
import { InvalidArgumentError } from './errors.mjs';

export const TOOL_MARKER = '[TOOL_CALLS]';

const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);

/** The schema text a response_format constrains to: null = none, '' = any JSON object. */
export function responseSchema(rf) {
  if (rf == null) return null;
  if (!isObj(rf) || typeof rf.type !== 'string') throw new InvalidArgumentError('response_format must be an object with a string type');
  if (rf.type === 'text') return null;
  if (rf.type === 'json_object') return '';
  if (rf.type === 'json_schema') {
    const js = rf.json_schema;
    if (!isObj(js) || (js.schema !== undefined && !isObj(js.schema) && typeof js.schema !== 'boolean'))
      throw new InvalidArgumentError('response_format.json_schema must be an object with an object schema');
    return js.schema === undefined ? '' : JSON.stringify(js.schema);
  }
  throw new InvalidArgumentError(`response_format.type must be 'text', 'json_object' or 'json_schema', not ${JSON.stringify(rf.type)}`);
}

/** Validated tools and tool_choice: { tools: [{ name, description, parameters }], choice }
 *  with choice 'none' | 'auto' | 'required' | a function name; null without tools. */
export function toolRequest(tools, toolChoice) {
  if (tools == null || (Array.isArray(tools) && !tools.length)) {
    if (toolChoice != null && toolChoice !== 'none' && toolChoice !== 'auto')
      throw new InvalidArgumentError('tool_choice needs tools');
    return null;
  }
  if (!Array.isArray(tools)) throw new InvalidArgumentError('tools must be an array');
  const list = tools.map((t, i) => {
    const f = t && t.function;
    if (!isObj(t) || t.type !== 'function' || !isObj(f) || typeof f.name !== 'string' || !f.name)
      throw new InvalidArgumentError(`tools[${i}] must be { type: 'function', function: { name, parameters } }`);
    if (f.parameters != null && !isObj(f.parameters)) throw new InvalidArgumentError(`tools[${i}].function.parameters must be an object`);
    return { name: f.name, description: typeof f.description === 'string' ? f.description : undefined,
             parameters: f.parameters ?? { type: 'object', properties: {} } };
  });
  let choice = toolChoice ?? 'auto';
  if (isObj(choice)) {
    const name = choice.function && choice.function.name;
    if (choice.type !== 'function' || typeof name !== 'string') throw new InvalidArgumentError("tool_choice must be 'none', 'auto', 'required' or { type: 'function', function: { name } }");
    if (!list.some((t) => t.name === name)) throw new InvalidArgumentError(`tool_choice names ${JSON.stringify(name)}, which is not in tools`);
    choice = { name };
  } else if (!['none', 'auto', 'required'].includes(choice))
    throw new InvalidArgumentError("tool_choice must be 'none', 'auto', 'required' or { type: 'function', function: { name } }");
  return { tools: list, choice };
}

/** The schema of one call of tool t ({"name": const, "arguments": parameters}); parameters'
 *  $defs / definitions are hoisted into defs (their $refs point at the root). */
function callSchema(t, defs) {
  const { $defs, definitions, $schema, ...params } = t.parameters;
  Object.assign(defs, $defs || {}, definitions || {});
  const fixRefs = (x) => (Array.isArray(x) ? x.map(fixRefs) : isObj(x)
    ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/definitions/', '#/$defs/') : fixRefs(v)]))
    : x);
  return { type: 'object', properties: { name: { const: t.name }, arguments: fixRefs(params) },
           required: ['name', 'arguments'], additionalProperties: false };
}

/** Schema text of the call array: one call of the named tool, or (several) of any tool. */
export function toolCallSchema(req, { single = true } = {}) {
  const tools = typeof req.choice === 'object' ? req.tools.filter((t) => t.name === req.choice.name) : req.tools;
  const defs = {};
  const calls = tools.map((t) => callSchema(t, defs));
  const schema = { type: 'array', minItems: 1, items: calls.length === 1 ? calls[0] : { anyOf: calls } };
  if (single) schema.maxItems = 1;
  if (Object.keys(defs).length) schema.$defs = defs;
  return JSON.stringify(schema);
}

/** OpenAI's tools array of a toolRequest(): what the model is shown. */
export function toolSpec(req) {
  return req.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

/** The conversation the model sees in the text format (vocabularies without Mistral v3's tool
 *  control tokens): tool history as text, the tools in a system message. */
export function toolMessages(messages, req) {
  const out = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      out.push({ role: 'user', content: `[TOOL_RESULTS] ${JSON.stringify({ call_id: m.tool_call_id ?? null, content: m.content ?? '' })}[/TOOL_RESULTS]` });
    } else if (m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length) {
      const calls = m.tool_calls.map((c, i) => {
        const f = c && c.function;
        if (!f || typeof f.name !== 'string') throw new InvalidArgumentError(`tool_calls[${i}] needs function.name`);
        let args = f.arguments ?? '{}';
        if (typeof args === 'string') { try { args = JSON.parse(args); } catch { /* keep the text */ } }
        return { name: f.name, arguments: args };
      });
      out.push({ role: 'assistant', content: `${m.content ? m.content + '\n' : ''}${TOOL_MARKER} ${JSON.stringify(calls)}` });
    } else out.push({ role: m.role, content: m.content });
  }
  if (!req || req.choice === 'none') return out;
  const spec = toolSpec(req);
  const text = `You can call these functions: ${JSON.stringify(spec)}\n` +
    `To call functions, reply with ${TOOL_MARKER} followed by a JSON array [{"name": ..., "arguments": {...}}] and nothing else.`;
  if (out[0] && out[0].role === 'system') out[0] = { role: 'system', content: `${out[0].content}\n\n${text}` };
  else out.unshift({ role: 'system', content: text });
  return out;
}

let callSeq = 0;
/** tool_calls of a generated call array (text after the marker), or null if it is not one. */
export function parseToolCalls(text) {
  let arr;
  try { arr = JSON.parse(text); } catch { return null; }
  if (!Array.isArray(arr) || !arr.length) return null;
  if (!arr.every((c) => isObj(c) && typeof c.name === 'string')) return null;
  return arr.map((c) => ({
    id: `call_${Date.now().toString(36)}${(callSeq++).toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
  }));
}
