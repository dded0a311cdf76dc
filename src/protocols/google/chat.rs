//! Google Generative AI (Gemini API): `POST {base}/models/{model}:generateContent`
//! and `:streamGenerateContent?alt=sse`, key in the `x-goog-api-key` header.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::envelope::Usage;
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::protocols::{ChatEvent, ChatRequest, ChatResponse, Endpoint, EventSink, format_error};
use crate::thinking::ThinkingLevel;

/// The request path for `model`, plain or streamed.
pub fn path(model: &str, stream: bool) -> String {
    let model = model.strip_prefix("models/").unwrap_or(model);
    if stream {
        format!("models/{model}:streamGenerateContent?alt=sse")
    } else {
        format!("models/{model}:generateContent")
    }
}

/// Gemini's `responseSchema` takes an OpenAPI subset of JSON Schema:
/// drop the keywords it refuses (`$schema`, `$id`, `additionalProperties`,
/// `$defs`), at every depth.
fn openapi_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| {
                    !matches!(
                        key.as_str(),
                        "$schema" | "$id" | "additionalProperties" | "$defs" | "definitions"
                    )
                })
                .map(|(key, value)| (key.clone(), openapi_schema(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(openapi_schema).collect()),
        other => other.clone(),
    }
}

/// The request body; the prompt is borrowed, so serializing is its only copy.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    contents: [OutContent<'a>; 1],
    #[serde(rename = "generationConfig", skip_serializing_if = "Map::is_empty")]
    generation_config: Map<String, Value>,
}

#[derive(Debug, Serialize)]
struct OutContent<'a> {
    role: &'static str,
    parts: Vec<OutPart<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum OutPart<'a> {
    Text { text: &'a str },
    Inline { inline_data: InlineData<'a> },
}

#[derive(Debug, Serialize)]
struct InlineData<'a> {
    mime_type: &'a str,
    data: String,
}

pub fn body<'a>(request: &ChatRequest<'a>) -> Body<'a> {
    let mut parts = vec![OutPart::Text {
        text: request.prompt,
    }];
    for image in request.images {
        let data = base64::engine::general_purpose::STANDARD.encode(&image.bytes);
        parts.push(OutPart::Inline {
            inline_data: InlineData {
                mime_type: image.mime_type,
                data,
            },
        });
    }
    let mut config = Map::new();
    if let Some(temperature) = request.temperature {
        config.insert("temperature".into(), json!(temperature));
    }
    if let Some(max_tokens) = request.max_tokens.or(request.output_limit) {
        config.insert("maxOutputTokens".into(), json!(max_tokens));
    }
    match request.thinking {
        None => {}
        Some(ThinkingLevel::Off) => {
            config.insert("thinkingConfig".into(), json!({"thinkingBudget": 0}));
        }
        // -1 lets the model pick its own budget (dynamic thinking).
        Some(ThinkingLevel::Adaptive) => {
            config.insert(
                "thinkingConfig".into(),
                json!({"thinkingBudget": -1, "includeThoughts": true}),
            );
        }
        Some(level) => {
            let budget = level.budget_tokens().unwrap_or(0);
            config.insert(
                "thinkingConfig".into(),
                json!({"thinkingBudget": budget, "includeThoughts": true}),
            );
        }
    }
    if let Some(schema) = request.schema {
        config.insert("responseMimeType".into(), json!("application/json"));
        config.insert("responseSchema".into(), openapi_schema(schema));
    }
    Body {
        contents: [OutContent {
            role: "user",
            parts,
        }],
        generation_config: config,
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
    let url = endpoint.url(&path(request.model, request.stream));
    let response = crate::protocols::post_json_with_text(
        &endpoint,
        &url,
        request.prompt,
        |prompt| body(&ChatRequest { prompt, ..*request }),
        super::KEY,
        &[],
    )
    .await?;
    match crate::protocols::answer_of(response, &url).await? {
        crate::protocols::Answer::Events(body) => {
            let mut answer = ChatResponse::default();
            let mut blocked = None;
            let read = crate::protocols::read_sse(body, &url, endpoint.deadline, |_, data| {
                apply_chunk(data, &mut answer, &mut blocked, on_event)
            })
            .await;
            // Gemini has no end event: the last chunk carries `finishReason`.
            let complete = answer.finish_reason.is_some() || blocked.is_some();
            crate::protocols::stream_end(read, complete, &url, &answer)?;
            match blocked {
                Some(error) if answer.text.is_empty() => Err(error),
                _ => Ok(answer),
            }
        }
        crate::protocols::Answer::Whole(text) => {
            let parsed = parse_response(&text)?;
            crate::protocols::emit_whole(&parsed, on_event);
            Ok(parsed)
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<WireUsage>,
    prompt_feedback: Option<PromptFeedback>,
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
struct Part {
    text: Option<String>,
    #[serde(default)]
    thought: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUsage {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
    total_token_count: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(wire: WireUsage) -> Usage {
        // Output counts the thoughts too, as the other protocols do.
        let output = match (wire.candidates_token_count, wire.thoughts_token_count) {
            (None, None) => None,
            (answer, thoughts) => Some(answer.unwrap_or(0) + thoughts.unwrap_or(0)),
        };
        Usage {
            cost: None,
            input_tokens: wire.prompt_token_count,
            output_tokens: output,
            cached_tokens: wire.cached_content_token_count,
            reasoning_tokens: wire.thoughts_token_count,
            total_tokens: wire.total_token_count,
        }
    }
}

/// Finish reasons that mean the answer was withheld rather than finished.
fn is_block(reason: &str) -> bool {
    matches!(
        reason,
        "SAFETY"
            | "RECITATION"
            | "BLOCKLIST"
            | "PROHIBITED_CONTENT"
            | "SPII"
            | "IMAGE_SAFETY"
            | "LANGUAGE"
    )
}

fn blocked(reason: &str) -> Error {
    Error::provider(
        Reason::Unknown,
        format!("the provider withheld the answer ({reason})"),
    )
    .with_hint("rephrase the prompt or try another model")
}

fn embedded_error(error: &Value) -> Error {
    let code = error.get("status").and_then(Value::as_str);
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("the provider reported an error");
    http::stream_error(code, message)
}

/// Fold one response (whole, or one chunk of a stream) into the answer.
/// A withheld answer is noted in `blocked` (an error only if no text came).
fn fold(
    response: WireResponse,
    answer: &mut ChatResponse,
    blocked_by: &mut Option<Error>,
    on_event: EventSink<'_>,
) -> Result<()> {
    if let Some(error) = &response.error {
        return Err(embedded_error(error));
    }
    if let Some(reason) = response.prompt_feedback.and_then(|f| f.block_reason) {
        *blocked_by = Some(blocked(&reason));
    }
    if let Some(candidate) = response.candidates.into_iter().next() {
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            let Some(text) = part.text.filter(|t| !t.is_empty()) else {
                continue;
            };
            if part.thought {
                answer.thinking.push_str(&text);
                on_event(ChatEvent::Thinking(&text));
            } else {
                answer.text.push_str(&text);
                on_event(ChatEvent::Text(&text));
            }
        }
        if let Some(reason) = candidate.finish_reason {
            if is_block(&reason) {
                *blocked_by = Some(blocked(&reason));
            }
            answer.finish_reason = Some(match reason.as_str() {
                "MAX_TOKENS" => "length".to_owned(),
                "STOP" => "stop".to_owned(),
                other => other.to_ascii_lowercase(),
            });
        }
    }
    if let Some(usage) = response.usage_metadata {
        answer.usage = Some(usage.into());
    }
    Ok(())
}

pub fn parse_response(text: &str) -> Result<ChatResponse> {
    let response: WireResponse = serde_json::from_str(text).map_err(format_error)?;
    let mut answer = ChatResponse::default();
    let mut blocked_by = None;
    fold(response, &mut answer, &mut blocked_by, &mut |_| {})?;
    match blocked_by {
        Some(error) if answer.text.is_empty() => Err(error),
        _ => Ok(answer),
    }
}

/// Fold one SSE chunk; each is a partial `GenerateContentResponse`.
pub fn apply_chunk(
    data: &str,
    answer: &mut ChatResponse,
    blocked_by: &mut Option<Error>,
    on_event: EventSink<'_>,
) -> Result<bool> {
    let data = data.trim();
    if data.is_empty() {
        return Ok(true);
    }
    let response: WireResponse = serde_json::from_str(data).map_err(format_error)?;
    fold(response, answer, blocked_by, on_event)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::test_support::{png, request, sse_every_cut};

    #[test]
    fn paths_for_plain_and_streamed_calls() {
        assert_eq!(
            path("gemini-2.5-flash", false),
            "models/gemini-2.5-flash:generateContent"
        );
        assert_eq!(
            path("models/gemini-2.5-flash", true),
            "models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
    }

    #[test]
    fn body_for_text_prompt() {
        assert_eq!(
            request_body(&request(&[], None, true)),
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
        );
    }

    #[test]
    fn body_with_image_and_thinking_levels() {
        let images = png();
        let mut req = request(&images, Some(ThinkingLevel::Low), false);
        req.temperature = Some(0.0);
        req.max_tokens = Some(50);
        let body = request_body(&req);
        assert_eq!(
            body["contents"][0]["parts"][1],
            json!({"inline_data": {"mime_type": "image/png", "data": "AQID"}})
        );
        assert_eq!(
            body["generationConfig"],
            json!({"temperature": 0.0, "maxOutputTokens": 50,
                   "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": true}})
        );
        let off = request_body(&request(&[], Some(ThinkingLevel::Off), false));
        assert_eq!(
            off["generationConfig"]["thinkingConfig"],
            json!({"thinkingBudget": 0})
        );
        let adaptive = request_body(&request(&[], Some(ThinkingLevel::Adaptive), false));
        assert_eq!(
            adaptive["generationConfig"]["thinkingConfig"]["thinkingBudget"],
            -1
        );
    }

    #[test]
    fn whole_response_with_thoughts_and_usage() {
        let parsed = parse_response(
            r#"{"candidates": [{"content": {"parts": [{"text": "Looking up capitals.", "thought": true}, {"text": "Paris"}],
                                            "role": "model"}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 1, "thoughtsTokenCount": 20,
                                  "cachedContentTokenCount": 2, "totalTokenCount": 29},
                "modelVersion": "gemini-2.5-flash"}"#,
        )
        .unwrap();
        assert_eq!(parsed.text, "Paris");
        assert_eq!(parsed.thinking, "Looking up capitals.");
        assert_eq!(parsed.finish_reason.as_deref(), Some("stop"));
        let usage = parsed.usage.unwrap();
        assert_eq!(
            (
                usage.input_tokens,
                usage.output_tokens,
                usage.reasoning_tokens,
                usage.cached_tokens,
                usage.total_tokens
            ),
            (Some(8), Some(21), Some(20), Some(2), Some(29))
        );
    }

    #[test]
    fn max_tokens_reads_as_length_and_blocks_are_errors() {
        let parsed = parse_response(
            r#"{"candidates": [{"content": {"parts": []}, "finishReason": "MAX_TOKENS"}]}"#,
        )
        .unwrap();
        assert_eq!(parsed.finish_reason.as_deref(), Some("length"));
        let error = parse_response(r#"{"promptFeedback": {"blockReason": "SAFETY"}}"#).unwrap_err();
        assert!(error.message().contains("SAFETY"), "{}", error.message());
        let error = parse_response(r#"{"candidates": [{"finishReason": "PROHIBITED_CONTENT"}]}"#)
            .unwrap_err();
        assert!(error.message().contains("PROHIBITED_CONTENT"));
    }

    #[test]
    fn error_in_stream_is_classified() {
        let mut answer = ChatResponse::default();
        let error = apply_chunk(
            r#"{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}"#,
            &mut answer,
            &mut None,
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(error.reason(), Reason::Overloaded);
    }

    #[test]
    fn stream_parsing_is_independent_of_chunk_boundaries() {
        let stream = concat!(
            "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hmm\", \"thought\": true}],\"role\": \"model\"},\"index\": 0}],",
            "\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8}}\r\n\r\n",
            "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Pa\"}],\"role\": \"model\"},\"index\": 0}]}\n\n",
            "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"rïs\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],",
            "\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 2,\"thoughtsTokenCount\": 3,\"totalTokenCount\": 13}}\n\n",
        );
        sse_every_cut(
            stream,
            |_, data, answer| apply_chunk(data, answer, &mut None, &mut |_| {}),
            |answer, cut| {
                assert_eq!(answer.text, "Parïs", "cut at {cut}");
                assert_eq!(answer.thinking, "Hmm", "cut at {cut}");
                assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
                let usage = answer.usage.as_ref().unwrap();
                assert_eq!(
                    (usage.output_tokens, usage.total_tokens),
                    (Some(5), Some(13)),
                    "cut at {cut}"
                );
            },
        );
    }
}
