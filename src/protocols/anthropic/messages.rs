//! Anthropic Messages chat (`POST {root}/v1/messages`), plain JSON and SSE streams.
//! Also spoken by llama.cpp's server (`/v1/messages`) and some proxies.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::API_VERSION;
use crate::envelope::Usage;
use crate::error::Result;
use crate::http;
use crate::protocols::{
    ChatEvent, ChatRequest, ChatResponse, Endpoint, EventSink, KeyStyle, format_error,
};

/// `max_tokens` is required; used when neither the run nor the catalog sets one.
const DEFAULT_MAX_TOKENS: u64 = 4096;
/// The smallest thinking budget the API accepts.
const MIN_BUDGET: u64 = 1024;

/// `(max_tokens, thinking budget)`: the budget must stay below `max_tokens`,
/// so thinking raises the cap (within the model's limit) to leave room for text.
fn token_limits(request: &ChatRequest<'_>) -> (u64, Option<u64>) {
    let base = request
        .max_tokens
        .unwrap_or_else(|| request.output_limit.unwrap_or(DEFAULT_MAX_TOKENS));
    let Some(budget) = request
        .thinking
        .and_then(|level| level.budget_tokens())
        .map(u64::from)
    else {
        return (base, None);
    };
    let mut max_tokens = if request.max_tokens.is_some() {
        base
    } else {
        budget + base
    };
    if let Some(limit) = request.output_limit {
        max_tokens = max_tokens.min(limit);
    }
    let budget = budget.min(max_tokens.saturating_sub(1));
    (max_tokens, (budget >= MIN_BUDGET).then_some(budget))
}

/// The tool that carries a `--schema` answer.
const OUTPUT_TOOL: &str = "output";

/// The request body; the prompt is borrowed, so serializing is its only copy.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    model: &'a str,
    max_tokens: u64,
    messages: [OutMessage<'a>; 1],
    #[serde(flatten)]
    options: Map<String, Value>,
}

#[derive(Debug, Serialize)]
struct OutMessage<'a> {
    role: &'static str,
    content: Vec<OutBlock<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum OutBlock<'a> {
    Image { source: ImageSource<'a> },
    Text { text: &'a str },
}

#[derive(Debug, Serialize)]
struct ImageSource<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    media_type: &'a str,
    data: String,
}

/// `{base}/v1/messages`, or `{base}/messages` when the base already ends in
/// `/v1`: the reference tool's rule, so `https://api.minimax.io/anthropic`
/// and `https://api.anthropic.com/v1` both reach the Messages API.
pub fn url(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let root = base.strip_suffix("/v1").unwrap_or(base);
    format!("{root}/v1/messages")
}

pub fn body<'a>(request: &ChatRequest<'a>) -> Body<'a> {
    let mut content = Vec::with_capacity(request.images.len() + 1);
    for image in request.images {
        let data = base64::engine::general_purpose::STANDARD.encode(&image.bytes);
        content.push(OutBlock::Image {
            source: ImageSource {
                kind: "base64",
                media_type: image.mime_type,
                data,
            },
        });
    }
    content.push(OutBlock::Text {
        text: request.prompt,
    });
    let (max_tokens, budget) = token_limits(request);
    let mut options = Map::new();
    let object = &mut options;
    if request.stream {
        object.insert("stream".into(), json!(true));
    }
    if let Some(schema) = request.schema {
        // Structured output is a tool the model must call; its input is the answer.
        object.insert(
            "tools".into(),
            json!([{"name": OUTPUT_TOOL, "description": "Give the answer as JSON matching the schema.", "input_schema": schema}]),
        );
        object.insert(
            "tool_choice".into(),
            json!({"type": "tool", "name": OUTPUT_TOOL}),
        );
    }
    // A forced tool call cannot be combined with extended thinking.
    let budget = if request.schema.is_some() {
        None
    } else {
        budget
    };
    match budget {
        Some(budget) => {
            // Extended thinking does not accept a custom temperature.
            object.insert(
                "thinking".into(),
                json!({"type": "enabled", "budget_tokens": budget}),
            );
        }
        None => {
            if let Some(temperature) = request.temperature {
                object.insert("temperature".into(), json!(temperature));
            }
        }
    }
    Body {
        model: request.model,
        max_tokens,
        messages: [OutMessage {
            role: "user",
            content,
        }],
        options,
    }
}

#[cfg(test)]
pub fn request_body(request: &ChatRequest<'_>) -> Value {
    serde_json::to_value(body(request)).expect("a request body is JSON")
}

pub async fn chat(
    endpoint: Endpoint<'_>,
    request: &ChatRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<ChatResponse> {
    let url = url(endpoint.base_url);
    let response = crate::protocols::post_json_with_text(
        &endpoint,
        &url,
        request.prompt,
        |prompt| body(&ChatRequest { prompt, ..*request }),
        KeyStyle::Header("x-api-key"),
        &[("anthropic-version", API_VERSION)],
    )
    .await?;
    let text = match crate::protocols::answer_of(response, &url).await? {
        crate::protocols::Answer::Events(body) => {
            let mut answer = ChatResponse::default();
            let mut state = StreamState::default();
            // Only `message_stop` stops the read.
            let read = crate::protocols::read_sse(body, &url, endpoint.deadline, |_, data| {
                apply_event(data, &mut answer, &mut state, on_event)
            })
            .await;
            crate::protocols::stream_end(read, false, &url, &answer)?;
            return Ok(answer);
        }
        crate::protocols::Answer::Whole(text) => text,
    };
    let parsed = parse_message(&text)?;
    crate::protocols::emit_whole(&parsed, on_event);
    Ok(parsed)
}

#[derive(Debug, Default, Deserialize)]
struct Message {
    #[serde(default)]
    content: Vec<Block>,
    stop_reason: Option<String>,
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    thinking: Option<String>,
    /// A `tool_use` block's arguments: the structured answer.
    input: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Stream usage arrives in pieces; later non-null fields win.
    fn merge(&mut self, other: WireUsage) {
        self.input_tokens = other.input_tokens.or(self.input_tokens);
        self.output_tokens = other.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = other
            .cache_creation_input_tokens
            .or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = other
            .cache_read_input_tokens
            .or(self.cache_read_input_tokens);
    }

    fn to_usage(&self) -> Usage {
        // Anthropic's input_tokens excludes cache reads and writes.
        let input = self.input_tokens.map(|input| {
            input
                + self.cache_creation_input_tokens.unwrap_or(0)
                + self.cache_read_input_tokens.unwrap_or(0)
        });
        Usage {
            cost: None,
            input_tokens: input,
            output_tokens: self.output_tokens,
            cached_tokens: self.cache_read_input_tokens,
            reasoning_tokens: None,
            total_tokens: input.zip(self.output_tokens).map(|(i, o)| i + o),
        }
    }
}

/// `max_tokens` means the output ran out, which callers know as `length`.
fn finish_reason(stop_reason: Option<String>) -> Option<String> {
    stop_reason.map(|reason| match reason.as_str() {
        "max_tokens" => "length".to_owned(),
        "end_turn" | "stop_sequence" | "tool_use" => "stop".to_owned(),
        _ => reason,
    })
}

pub fn parse_message(text: &str) -> Result<ChatResponse> {
    let value: Value = serde_json::from_str(text).map_err(format_error)?;
    if value.get("type").and_then(Value::as_str) == Some("error") {
        return Err(error_event(&value));
    }
    let message: Message = serde_json::from_value(value).map_err(format_error)?;
    let mut answer = ChatResponse::default();
    for block in &message.content {
        match block.kind.as_str() {
            "text" => answer.text.push_str(block.text.as_deref().unwrap_or("")),
            "thinking" => answer
                .thinking
                .push_str(block.thinking.as_deref().unwrap_or("")),
            "tool_use" => {
                if let Some(input) = &block.input {
                    answer.text.push_str(&input.to_string());
                }
            }
            _ => {}
        }
    }
    answer.finish_reason = finish_reason(message.stop_reason);
    answer.usage = message.usage.map(|usage| usage.to_usage());
    Ok(answer)
}

fn error_event(value: &Value) -> crate::error::Error {
    let kind = value.pointer("/error/type").and_then(Value::as_str);
    let message = value
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or("the provider reported an error");
    http::stream_error(kind, message)
}

#[derive(Debug, Deserialize)]
struct StreamEvent {
    #[serde(rename = "type")]
    kind: String,
    message: Option<Message>,
    content_block: Option<Block>,
    delta: Option<Delta>,
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    thinking: Option<String>,
    /// `input_json_delta`: a piece of a tool call's JSON arguments.
    partial_json: Option<String>,
    stop_reason: Option<String>,
}

/// Usage pieces gathered while streaming, kept beside the answer.
#[derive(Debug, Default)]
pub struct StreamState {
    usage: Option<WireUsage>,
}

impl StreamState {
    fn add_usage(&mut self, usage: WireUsage, answer: &mut ChatResponse) {
        let total = self.usage.get_or_insert_with(WireUsage::default);
        total.merge(usage);
        answer.usage = Some(total.to_usage());
    }
}

fn push_text(
    answer: &mut ChatResponse,
    on_event: EventSink<'_>,
    text: Option<&str>,
    thinking: bool,
) {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return;
    };
    if thinking {
        answer.thinking.push_str(text);
        on_event(ChatEvent::Thinking(text));
    } else {
        answer.text.push_str(text);
        on_event(ChatEvent::Text(text));
    }
}

/// Fold one SSE event into the answer. Returns false at `message_stop`.
pub fn apply_event(
    data: &str,
    answer: &mut ChatResponse,
    state: &mut StreamState,
    on_event: EventSink<'_>,
) -> Result<bool> {
    let data = data.trim();
    if data.is_empty() {
        return Ok(true);
    }
    let value: Value = serde_json::from_str(data).map_err(format_error)?;
    if value.get("type").and_then(Value::as_str) == Some("error") {
        return Err(error_event(&value));
    }
    let event: StreamEvent = serde_json::from_value(value).map_err(format_error)?;
    match event.kind.as_str() {
        "message_start" => {
            if let Some(usage) = event.message.and_then(|m| m.usage) {
                state.add_usage(usage, answer);
            }
        }
        "content_block_start" => {
            if let Some(block) = event.content_block {
                match block.kind.as_str() {
                    "text" => push_text(answer, on_event, block.text.as_deref(), false),
                    "thinking" => push_text(answer, on_event, block.thinking.as_deref(), true),
                    _ => {}
                }
            }
        }
        "content_block_delta" => {
            if let Some(delta) = event.delta {
                match delta.kind.as_deref() {
                    Some("text_delta") => push_text(answer, on_event, delta.text.as_deref(), false),
                    Some("thinking_delta") => {
                        push_text(answer, on_event, delta.thinking.as_deref(), true)
                    }
                    Some("input_json_delta") => {
                        push_text(answer, on_event, delta.partial_json.as_deref(), false)
                    }
                    _ => {}
                }
            }
        }
        "message_delta" => {
            if let Some(reason) = event.delta.and_then(|d| d.stop_reason) {
                answer.finish_reason = finish_reason(Some(reason));
            }
            if let Some(usage) = event.usage {
                state.add_usage(usage, answer);
            }
        }
        "message_stop" => return Ok(false),
        _ => {}
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Reason;
    use crate::protocols::test_support::{png, request, sse_every_cut};
    use crate::thinking::ThinkingLevel;

    #[test]
    fn messages_url_follows_the_reference_joining_rule() {
        assert_eq!(
            url("https://api.minimax.io/anthropic"),
            "https://api.minimax.io/anthropic/v1/messages"
        );
        assert_eq!(
            url("https://api.anthropic.com/v1/"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(url("http://127.0.0.1:9"), "http://127.0.0.1:9/v1/messages");
    }

    #[test]
    fn body_for_text_prompt_has_the_required_max_tokens() {
        assert_eq!(
            request_body(&request(&[], None, true)),
            json!({"model": "m1", "max_tokens": 4096,
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "stream": true})
        );
        let mut req = request(&[], None, false);
        req.output_limit = Some(64000);
        assert_eq!(
            request_body(&req)["max_tokens"],
            64000,
            "the model's own limit is sent, as the reference tool does"
        );
        req.output_limit = Some(2048);
        assert_eq!(request_body(&req)["max_tokens"], 2048);
    }

    #[test]
    fn body_with_image_and_thinking_budget() {
        let images = png();
        let mut req = request(&images, Some(ThinkingLevel::Medium), false);
        req.temperature = Some(0.2);
        let body = request_body(&req);
        assert_eq!(
            body["messages"][0]["content"][0],
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AQID"}})
        );
        assert_eq!(
            body["messages"][0]["content"][1],
            json!({"type": "text", "text": "hi"})
        );
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": 8192})
        );
        assert_eq!(body["max_tokens"], 8192 + 4096);
        assert!(
            body.get("temperature").is_none(),
            "thinking takes no temperature"
        );

        // The budget always stays below max_tokens, within the model's limit.
        req.output_limit = Some(10000);
        let body = request_body(&req);
        assert_eq!(body["max_tokens"], 10000);
        assert_eq!(body["thinking"]["budget_tokens"], 8192);
        req.output_limit = Some(5000);
        let body = request_body(&req);
        assert_eq!(body["thinking"]["budget_tokens"], 4999);
        req.output_limit = Some(1000);
        assert!(
            request_body(&req).get("thinking").is_none(),
            "no room to think"
        );
        assert!(
            request_body(&request(&[], Some(ThinkingLevel::Off), false))
                .get("thinking")
                .is_none()
        );
    }

    #[test]
    fn whole_message_with_thinking_and_usage() {
        let parsed = parse_message(
            r#"{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
                "content": [{"type": "thinking", "thinking": "France...", "signature": "sig"},
                            {"type": "text", "text": "Paris"}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 20}}"#,
        )
        .unwrap();
        assert_eq!(parsed.text, "Paris");
        assert_eq!(parsed.thinking, "France...");
        assert_eq!(parsed.finish_reason.as_deref(), Some("stop"));
        let usage = parsed.usage.unwrap();
        assert_eq!(
            (usage.input_tokens, usage.output_tokens, usage.cached_tokens),
            (Some(15), Some(20), Some(5))
        );
    }

    #[test]
    fn max_tokens_stop_reads_as_length() {
        let parsed = parse_message(
            r#"{"type": "message", "content": [{"type": "thinking", "thinking": "long"}], "stop_reason": "max_tokens"}"#,
        )
        .unwrap();
        assert_eq!(parsed.finish_reason.as_deref(), Some("length"));
    }

    #[test]
    fn error_events_are_classified() {
        let mut answer = ChatResponse::default();
        let error = apply_event(
            r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
            &mut answer,
            &mut StreamState::default(),
            &mut |_: ChatEvent<'_>| {},
        )
        .unwrap_err();
        assert_eq!(error.reason(), Reason::Overloaded);
        assert!(error.message().contains("Overloaded"));
    }

    #[test]
    fn stream_parsing_is_independent_of_chunk_boundaries() {
        let stream = concat!(
            "event: message_start\n",
            "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],",
            "\"model\":\"claude-x\",\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\n",
            "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Hmm\"}}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"abc\"}}\n\n",
            "event: content_block_stop\n",
            "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: ping\n",
            "data: {\"type\": \"ping\"}\n\n",
            "event: content_block_start\n",
            "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Pa\"}}\r\n\r\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"rïs\"}}\n\n",
            "event: content_block_stop\n",
            "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
            "event: message_delta\n",
            "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n",
            "event: message_stop\n",
            "data: {\"type\":\"message_stop\"}\n\n",
        );
        let mut state = StreamState::default();
        sse_every_cut(
            stream,
            |_, data, answer| {
                if answer.text.is_empty() && answer.thinking.is_empty() && answer.usage.is_none() {
                    state = StreamState::default();
                }
                apply_event(data, answer, &mut state, &mut |_: ChatEvent<'_>| {})
            },
            |answer, cut| {
                assert_eq!(answer.text, "Parïs", "cut at {cut}");
                assert_eq!(answer.thinking, "Hmm", "cut at {cut}");
                assert_eq!(
                    answer.finish_reason.as_deref(),
                    Some("stop"),
                    "cut at {cut}"
                );
                let usage = answer.usage.as_ref().expect("usage");
                assert_eq!(
                    (usage.input_tokens, usage.output_tokens),
                    (Some(25), Some(15)),
                    "cut at {cut}"
                );
            },
        );
    }
}
