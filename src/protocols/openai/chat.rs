//! OpenAI chat completions (`POST {base}/chat/completions`), plain JSON and
//! SSE streams. Spoken by OpenAI-compatible vendors and local servers.

use crate::catalog::MaxTokensField;
use std::borrow::Cow;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::envelope::Usage;
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::protocols::{
    ChatEvent, ChatRequest, ChatResponse, Endpoint, EventSink, KeyStyle, format_error,
};

/// The request body; it borrows the prompt and schema, so serializing it
/// is the only copy made of them.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    model: &'a str,
    messages: [UserMessage<'a>; 1],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<ResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct UserMessage<'a> {
    role: &'static str,
    content: Content<'a>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Content<'a> {
    Text(&'a str),
    Parts(Vec<Part<'a>>),
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Part<'a> {
    Text { text: &'a str },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Debug, Serialize)]
struct ImageUrl {
    url: String,
}

#[derive(Debug, Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Debug, Serialize)]
struct ResponseFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    json_schema: NamedSchema<'a>,
}

#[derive(Debug, Serialize)]
struct NamedSchema<'a> {
    name: &'static str,
    schema: &'a Value,
}

/// Vendors whose OpenAI-compatible endpoint reads the older `max_tokens`
/// rather than `max_completion_tokens`, known by the host of the base URL
/// (as the reference tool decides; a custom or loopback URL gets the
/// current field whatever the provider's id).
fn uses_legacy_max_tokens(base_url: &str) -> bool {
    const HOSTS: &[&str] = &[
        "api.moonshot.",
        "api.z.ai",
        "open.bigmodel.cn",
        "api.mistral.ai",
        "api.together.",
        "chutes.ai",
        "gateway.ai.cloudflare.com",
    ];
    let host = reqwest::Url::parse(base_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    HOSTS
        .iter()
        .any(|known| host.contains(known.trim_end_matches('.')))
}

/// The body for `request`; `base_url` picks the output-cap field's name.
pub fn body<'a>(request: &ChatRequest<'a>, base_url: &str) -> Body<'a> {
    let content = if request.images.is_empty() {
        Content::Text(request.prompt)
    } else {
        let mut parts = vec![Part::Text {
            text: request.prompt,
        }];
        for image in request.images {
            let data = base64::engine::general_purpose::STANDARD.encode(&image.bytes);
            parts.push(Part::ImageUrl {
                image_url: ImageUrl {
                    url: format!("data:{};base64,{data}", image.mime_type),
                },
            });
        }
        Content::Parts(parts)
    };
    let cap = request.max_tokens.or(request.output_limit);
    let legacy = match request.max_tokens_field {
        Some(field) => field == MaxTokensField::MaxTokens,
        None => uses_legacy_max_tokens(base_url),
    };
    Body {
        model: request.model,
        messages: [UserMessage {
            role: "user",
            content,
        }],
        stream: request.stream,
        stream_options: request.stream.then_some(StreamOptions {
            include_usage: true,
        }),
        max_completion_tokens: cap.filter(|_| !legacy),
        max_tokens: cap.filter(|_| legacy),
        temperature: request.temperature,
        response_format: request.schema.map(|schema| ResponseFormat {
            kind: "json_schema",
            json_schema: NamedSchema {
                name: "output",
                schema,
            },
        }),
        reasoning_effort: request.thinking.and_then(|level| level.reasoning_effort()),
    }
}

#[cfg(test)]
pub fn request_body(request: &ChatRequest<'_>) -> Value {
    serde_json::to_value(body(request, "")).expect("a request body is JSON")
}

pub async fn chat(
    endpoint: Endpoint<'_>,
    request: &ChatRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<ChatResponse> {
    let url = endpoint.url("chat/completions");
    let response = crate::protocols::post_json_with_text(
        &endpoint,
        &url,
        request.prompt,
        |prompt| body(&ChatRequest { prompt, ..*request }, endpoint.base_url),
        KeyStyle::Bearer,
        &[],
    )
    .await?;
    match crate::protocols::answer_of(response, &url).await? {
        crate::protocols::Answer::Events(body) => {
            let mut answer = ChatResponse::default();
            let read = crate::protocols::read_sse(body, &url, endpoint.deadline, |_, data| {
                apply_chunk(data, &mut answer, on_event)
            })
            .await;
            // `[DONE]` ends the stream; a `finish_reason` alone also says
            // the answer is whole (some servers omit `[DONE]`).
            let complete = answer.finish_reason.is_some();
            crate::protocols::stream_end(read, complete, &url, &answer)?;
            Ok(answer)
        }
        crate::protocols::Answer::Whole(text) => {
            let parsed = parse_completion(&text)?;
            crate::protocols::emit_whole(&parsed, on_event);
            Ok(parsed)
        }
    }
}

#[derive(Debug, Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: Option<Message>,
    delta: Option<Message>,
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Message {
    content: Option<Value>,
    /// DeepSeek, llama.cpp and vLLM put chain-of-thought here.
    reasoning_content: Option<String>,
    /// OpenRouter and some routers use this name instead.
    reasoning: Option<String>,
}

impl Message {
    /// Borrowed when the content is a plain string (every streamed delta).
    fn text(&self) -> Option<Cow<'_, str>> {
        match self.content.as_ref()? {
            Value::String(text) => Some(Cow::Borrowed(text)),
            // Some servers answer with content parts.
            Value::Array(parts) => Some(Cow::Owned(
                parts
                    .iter()
                    .filter_map(|part| part.get("text").and_then(Value::as_str))
                    .collect::<String>(),
            )),
            _ => None,
        }
    }

    fn into_text(mut self) -> Option<String> {
        match self.content.take()? {
            Value::String(text) => Some(text),
            content => Message {
                content: Some(content),
                ..Message::default()
            }
            .text()
            .map(Cow::into_owned),
        }
    }

    fn thinking(&self) -> Option<&str> {
        self.reasoning_content
            .as_deref()
            .or(self.reasoning.as_deref())
    }
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    total_tokens: Option<u64>,
    prompt_tokens_details: Option<Details>,
    completion_tokens_details: Option<Details>,
}

#[derive(Debug, Deserialize)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(wire: WireUsage) -> Usage {
        Usage {
            input_tokens: wire.prompt_tokens,
            output_tokens: wire.completion_tokens,
            cached_tokens: wire.prompt_tokens_details.and_then(|d| d.cached_tokens),
            reasoning_tokens: wire
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens),
            total_tokens: wire.total_tokens,
            cost: None,
        }
    }
}

fn embedded_error(error: &Value) -> Error {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| error.to_string());
    let status = error
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok());
    match status.and_then(|s| reqwest::StatusCode::from_u16(s).ok()) {
        Some(code) => http::error_from_parts(
            code,
            None,
            &json!({"error": {"message": message}}).to_string(),
        ),
        None => Error::provider(Reason::Unknown, message),
    }
}

pub fn parse_completion(text: &str) -> Result<ChatResponse> {
    let completion: Completion = serde_json::from_str(text).map_err(format_error)?;
    if let Some(error) = &completion.error {
        return Err(embedded_error(error));
    }
    let choice = completion.choices.into_iter().next();
    let (message, finish_reason) = match choice {
        Some(choice) => (choice.message.unwrap_or_default(), choice.finish_reason),
        None => (Message::default(), None),
    };
    let thinking = message.thinking().unwrap_or_default().to_owned();
    Ok(ChatResponse {
        text: message.into_text().unwrap_or_default(),
        thinking,
        usage: completion.usage.map(Usage::from),
        finish_reason,
        engine_timings: None,
    })
}

/// Fold one SSE `data:` payload into the response. Returns false at `[DONE]`.
pub fn apply_chunk(
    data: &str,
    response: &mut ChatResponse,
    on_event: EventSink<'_>,
) -> Result<bool> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(false);
    }
    if data.is_empty() {
        return Ok(true);
    }
    let chunk: Completion = serde_json::from_str(data).map_err(format_error)?;
    if let Some(error) = &chunk.error {
        return Err(embedded_error(error));
    }
    if let Some(usage) = chunk.usage {
        response.usage = Some(usage.into());
    }
    for choice in chunk.choices {
        let delta = choice.delta.or(choice.message).unwrap_or_default();
        if let Some(thinking) = delta.thinking().filter(|t| !t.is_empty()) {
            response.thinking.push_str(thinking);
            on_event(ChatEvent::Thinking(thinking));
        }
        if let Some(text) = delta.text().filter(|t| !t.is_empty()) {
            response.text.push_str(&text);
            on_event(ChatEvent::Text(&text));
        }
        if choice.finish_reason.is_some() {
            response.finish_reason = choice.finish_reason;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn sink() -> impl FnMut(ChatEvent<'_>) + Send {
        |_| {}
    }

    #[test]
    fn body_with_text_only_prompt() {
        let request = ChatRequest {
            schema: None,
            model: "m1",
            prompt: "hi",
            images: &[],
            thinking: None,
            max_tokens: None,
            output_limit: None,
            context_window: None,
            context_tokens: None,
            params: None,
            max_tokens_field: None,
            temperature: None,
            stream: true,
        };
        assert_eq!(
            request_body(&request),
            json!({"model": "m1", "messages": [{"role": "user", "content": "hi"}],
                   "stream": true, "stream_options": {"include_usage": true}})
        );
    }

    #[test]
    fn model_limit_is_sent_in_the_field_the_host_reads() {
        let mut request = crate::protocols::test_support::request(&[], None, false);
        request.output_limit = Some(4000);
        let current = serde_json::to_value(body(&request, "http://127.0.0.1:9/v1")).unwrap();
        assert_eq!(current["max_completion_tokens"], 4000);
        assert!(current.get("max_tokens").is_none());
        let legacy = serde_json::to_value(body(&request, "https://api.mistral.ai/v1")).unwrap();
        assert_eq!(legacy["max_tokens"], 4000);
        assert!(legacy.get("max_completion_tokens").is_none());
        request.max_tokens = Some(10);
        let explicit = serde_json::to_value(body(&request, "http://x/v1")).unwrap();
        assert_eq!(explicit["max_completion_tokens"], 10);
    }

    #[test]
    fn body_with_image_and_thinking() {
        let image = crate::media::ImageFile {
            path: "a.png".into(),
            mime_type: "image/png",
            bytes: vec![1, 2, 3],
        };
        let images = [image];
        let request = ChatRequest {
            schema: None,
            model: "m1",
            prompt: "what is this",
            images: &images,
            thinking: Some(crate::thinking::ThinkingLevel::High),
            max_tokens: None,
            output_limit: None,
            context_window: None,
            context_tokens: None,
            params: None,
            max_tokens_field: None,
            temperature: Some(0.0),
            stream: false,
        };
        let body = request_body(&request);
        assert_eq!(
            body["messages"][0]["content"][1]["image_url"]["url"],
            "data:image/png;base64,AQID"
        );
        assert_eq!(body["reasoning_effort"], "high");
        assert_eq!(body["temperature"], 0.0);
        assert!(body.get("stream").is_none());
    }

    #[test]
    fn plain_completion_with_usage_and_reasoning() {
        let parsed = parse_completion(
            r#"{"choices":[{"message":{"role":"assistant","content":"Paris","reasoning_content":"think"},"finish_reason":"stop"}],
                "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":1}}}"#,
        )
        .unwrap();
        assert_eq!(parsed.text, "Paris");
        assert_eq!(parsed.thinking, "think");
        let usage = parsed.usage.unwrap();
        assert_eq!(
            (usage.input_tokens, usage.output_tokens, usage.cached_tokens),
            (Some(5), Some(2), Some(1))
        );
    }

    #[test]
    fn stream_chunks_accumulate() {
        let mut answer = ChatResponse::default();
        let mut seen = Vec::new();
        let mut on_event = |event: ChatEvent<'_>| {
            if let ChatEvent::Text(text) = event {
                seen.push(text.to_owned());
            }
        };
        let chunks = [
            r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#,
            r#"{"choices":[{"delta":{"content":"Par"}}]}"#,
            r#"{"choices":[{"delta":{"content":"is"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
        ];
        for chunk in chunks {
            assert!(apply_chunk(chunk, &mut answer, &mut on_event).unwrap());
        }
        assert!(!apply_chunk("[DONE]", &mut answer, &mut on_event).unwrap());
        assert_eq!(answer.text, "Paris");
        assert_eq!(seen, ["Par", "is"]);
        assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
        assert_eq!(answer.usage.unwrap().total_tokens, Some(5));
    }

    #[test]
    fn error_inside_stream_is_classified() {
        let mut answer = ChatResponse::default();
        let mut on_event = sink();
        let error = apply_chunk(
            r#"{"error":{"message":"slow down","code":429}}"#,
            &mut answer,
            &mut on_event,
        )
        .unwrap_err();
        assert_eq!(error.reason(), Reason::RateLimit);
        assert!(error.message().contains("slow down"));
    }

    /// The SSE decoder must give the same answer wherever the byte stream
    /// is cut; feed a whole stream split at every offset.
    #[test]
    fn sse_parsing_is_independent_of_chunk_boundaries() {
        use eventsource_stream::Eventsource;
        let stream_text = concat!(
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hé\"}}]}\n\n",
            ": keep-alive comment\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"llo\"}}]}\r\n\r\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n",
            "data: [DONE]\n\n",
        )
        .as_bytes();
        for cut in 0..=stream_text.len() {
            let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
                Ok(bytes::Bytes::copy_from_slice(&stream_text[..cut])),
                Ok(bytes::Bytes::copy_from_slice(&stream_text[cut..])),
            ];
            let mut events = futures_util::stream::iter(pieces).eventsource();
            let mut answer = ChatResponse::default();
            let mut on_event = sink();
            futures_executor(async {
                while let Some(event) = events.next().await {
                    if !apply_chunk(&event.unwrap().data, &mut answer, &mut on_event).unwrap() {
                        break;
                    }
                }
            });
            assert_eq!(answer.text, "Héllo", "cut at {cut}");
            assert_eq!(
                answer.usage.as_ref().unwrap().output_tokens,
                Some(2),
                "cut at {cut}"
            );
        }
    }

    fn futures_executor(future: impl std::future::Future<Output = ()>) {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future);
    }
}
