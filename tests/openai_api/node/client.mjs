// The official openai npm package, configured as a user would: OPENAI_BASE_URL and OPENAI_API_KEY.
// Prints one JSON object with what each call returned; test_node_client.py checks it.
import OpenAI from "openai";

const client = new OpenAI({ maxRetries: 0, timeout: 20000 });
const price = {
  type: "function",
  function: {
    name: "apron_price", description: "The price of an apron by colour.",
    parameters: { type: "object", properties: { color: { type: "string" } }, required: ["color"] },
  },
};
const ask = [{ role: "user", content: "What does the blue apron cost?" }];
const out = {};

const chat = await client.chat.completions.create({ model: "cloud", messages: [{ role: "user", content: "Hi" }] });
out.chat = chat.choices[0].message.content;

const stream = await client.chat.completions.create({ model: "cloud", messages: [{ role: "user", content: "Hi" }], stream: true });
out.stream = "";
for await (const chunk of stream) out.stream += chunk.choices[0]?.delta?.content ?? "";

const first = await client.chat.completions.create({ model: "cloud", messages: ask, tools: [price] });
const call = first.choices[0].message.tool_calls[0];
out.tool_finish = first.choices[0].finish_reason;
out.tool_call = { name: call.function.name, arguments: JSON.parse(call.function.arguments) };
const second = await client.chat.completions.create({
  model: "cloud", tools: [price],
  messages: [...ask, first.choices[0].message, { role: "tool", tool_call_id: call.id, content: "34.50 EUR" }],
});
out.tool_answer = second.choices[0].message.content;

const toolStream = await client.chat.completions.create({ model: "cloud", messages: ask, tools: [price], stream: true });
let args = "";
for await (const chunk of toolStream) {
  for (const d of chunk.choices[0]?.delta?.tool_calls ?? []) args += d.function?.arguments ?? "";
}
out.streamed_arguments = JSON.parse(args);

const structured = await client.chat.completions.create({
  model: "judge", messages: [{ role: "user", content: "Rate it" }],
  response_format: { type: "json_schema", json_schema: { name: "verdict", schema: {
    type: "object", properties: { risk: { type: "integer" } }, required: ["risk"] } } },
});
out.structured = JSON.parse(structured.choices[0].message.content);

const response = await client.responses.create({ model: "cloud", input: "Hi", instructions: "Be brief." });
out.responses = response.output_text;

try {
  await client.chat.completions.create({ model: "cloud", messages: ask, logit_bias: { "1": 5 } });
  out.refused = null;
} catch (e) {
  out.refused = { status: e.status, code: e.code, param: e.param };
}
console.log(JSON.stringify(out));
