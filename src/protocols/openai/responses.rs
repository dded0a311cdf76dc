//! OpenAI Responses (`POST {base}/responses`), plain JSON and SSE streams of
//! typed events. OpenAI's default API; also spoken by xAI.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::envelope::Usage;
use crate::error::{Error, Result};
use crate::http;
use crate::protocols::{
    ChatEvent, ChatRequest, ChatResponse, Endpoint, EventSink, KeyStyle, format_error,
};

/// The request body; the prompt is borrowed, so serializing is its only copy.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    model: &'a str,
    input: [Input<'a>; 1],
    store: bool,
    #[serde(flatten)]
    options: Map<String, Value>,
}

#[derive(Debug, Serialize)]
struct Input<'a> {
    role: &'static str,
    content: Vec<OutPart<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum OutPart<'a> {
    InputText { text: &'a str },
    InputImage { image_url: String },
}

pub fn body<'a>(request: &ChatRequest<'a>) -> Body<'a> {
    let mut content = vec![OutPart::InputText {
        text: request.prompt,
    }];
    for image in request.images {
        let data = base64::engine::general_purpose::STANDARD.encode(&image.bytes);
        content.push(OutPart::InputImage {
            image_url: format!("data:{};base64,{data}", image.mime_type),
        });
    }
    let mut options = Map::new();
    if request.stream {
        options.insert("stream".into(), json!(true));
    }
    if let Some(max_tokens) = request.max_tokens.or(request.output_limit) {
        // The API refuses caps below 16.
        options.insert("max_output_tokens".into(), json!(max_tokens.max(16)));
    }
    if let Some(temperature) = request.temperature {
        options.insert("temperature".into(), json!(temperature));
    }
    if let Some(effort) = request.thinking.and_then(|level| level.reasoning_effort()) {
        // `summary: auto` makes reasoning models return readable summaries.
        options.insert(
            "reasoning".into(),
            json!({"effort": effort, "summary": "auto"}),
        );
    }
    if let Some(schema) = request.schema {
        options.insert(
            "text".into(),
            json!({"format": {"type": "json_schema", "name": "output", "schema": schema}}),
        );
    }
    Body {
        model: request.model,
        input: [Input {
            role: "user",
            content,
        }],
        // Nothing of a one-shot run needs to be kept on the provider's side.
        store: false,
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
    let url = endpoint.url("responses");
    let response = crate::protocols::post_json_with_text(
        &endpoint,
        &url,
        request.prompt,
        |prompt| body(&ChatRequest { prompt, ..*request }),
        KeyStyle::Bearer,
        &[],
    )
    .await?;
    let text = match crate::protocols::answer_of(response, &url).await? {
        crate::protocols::Answer::Events(body) => {
            let mut answer = ChatResponse::default();
            // Only a terminal `response.*` event stops the read.
            let read = crate::protocols::read_sse(body, &url, endpoint.deadline, |_, data| {
                apply_event(data, &mut answer, on_event)
            })
            .await;
            crate::protocols::stream_end(read, false, &url, &answer)?;
            return Ok(answer);
        }
        crate::protocols::Answer::Whole(text) => text,
    };
    let parsed = parse_response(&text)?;
    crate::protocols::emit_whole(&parsed, on_event);
    Ok(parsed)
}

/// The `response` object, as returned whole or inside terminal events.
#[derive(Debug, Default, Deserialize)]
struct WireResponse {
    status: Option<String>,
    #[serde(default)]
    output: Vec<OutputItem>,
    usage: Option<WireUsage>,
    error: Option<WireError>,
    incomplete_details: Option<Incomplete>,
}

#[derive(Debug, Deserialize)]
struct OutputItem {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    content: Vec<Part>,
    #[serde(default)]
    summary: Vec<Part>,
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireError {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Incomplete {
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    total_tokens: Option<u64>,
    input_tokens_details: Option<Details>,
    output_tokens_details: Option<Details>,
}

#[derive(Debug, Deserialize)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(wire: WireUsage) -> Usage {
        Usage {
            cost: None,
            input_tokens: wire.input_tokens,
            output_tokens: wire.output_tokens,
            cached_tokens: wire.input_tokens_details.and_then(|d| d.cached_tokens),
            reasoning_tokens: wire.output_tokens_details.and_then(|d| d.reasoning_tokens),
            total_tokens: wire.total_tokens,
        }
    }
}

impl WireResponse {
    fn failure(&self) -> Option<Error> {
        if self.status.as_deref() != Some("failed") && self.error.is_none() {
            return None;
        }
        let (code, message) = match &self.error {
            Some(error) => (
                error.code.as_deref(),
                error.message.as_deref().unwrap_or("the response failed"),
            ),
            None => (None, "the response failed"),
        };
        Some(http::stream_error(code, message))
    }

    fn finish_reason(&self) -> Option<String> {
        match self.status.as_deref()? {
            "incomplete" => {
                let reason = self
                    .incomplete_details
                    .as_ref()
                    .and_then(|d| d.reason.as_deref());
                Some(match reason {
                    Some("max_output_tokens") | None => "length".to_owned(),
                    Some(other) => other.to_owned(),
                })
            }
            "completed" => Some("stop".to_owned()),
            other => Some(other.to_owned()),
        }
    }

    /// Output text and reasoning text, in order of the output items.
    fn texts(&self) -> (String, String) {
        let mut text = String::new();
        let mut thinking = String::new();
        for item in &self.output {
            match item.kind.as_str() {
                "message" => {
                    for part in &item.content {
                        match part.kind.as_str() {
                            "output_text" => text.push_str(part.text.as_deref().unwrap_or("")),
                            "refusal" => text.push_str(part.refusal.as_deref().unwrap_or("")),
                            _ => {}
                        }
                    }
                }
                "reasoning" => {
                    for part in item.summary.iter().chain(&item.content) {
                        thinking.push_str(part.text.as_deref().unwrap_or(""));
                    }
                }
                _ => {}
            }
        }
        (text, thinking)
    }
}

pub fn parse_response(text: &str) -> Result<ChatResponse> {
    let response: WireResponse = serde_json::from_str(text).map_err(format_error)?;
    if let Some(error) = response.failure() {
        return Err(error);
    }
    let (text, thinking) = response.texts();
    let finish_reason = response.finish_reason();
    Ok(ChatResponse {
        text,
        thinking,
        usage: response.usage.map(Usage::from),
        finish_reason,
        engine_timings: None,
    })
}

#[derive(Debug, Deserialize)]
struct StreamEvent {
    #[serde(rename = "type")]
    kind: String,
    delta: Option<String>,
    response: Option<WireResponse>,
    code: Option<String>,
    message: Option<String>,
}

/// Fold one SSE event into the answer. Returns false once the response is
/// finished (there is no `[DONE]` marker in this protocol).
pub fn apply_event(data: &str, answer: &mut ChatResponse, on_event: EventSink<'_>) -> Result<bool> {
    let data = data.trim();
    if data.is_empty() || data == "[DONE]" {
        return Ok(data.is_empty());
    }
    let event: StreamEvent = serde_json::from_str(data).map_err(format_error)?;
    match event.kind.as_str() {
        "response.output_text.delta" | "response.refusal.delta" => {
            let delta = event.delta.unwrap_or_default();
            if !delta.is_empty() {
                answer.text.push_str(&delta);
                on_event(ChatEvent::Text(&delta));
            }
        }
        "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
            let delta = event.delta.unwrap_or_default();
            if !delta.is_empty() {
                answer.thinking.push_str(&delta);
                on_event(ChatEvent::Thinking(&delta));
            }
        }
        "response.completed" | "response.incomplete" | "response.failed" => {
            let response = event.response.unwrap_or_default();
            if let Some(error) = response.failure() {
                return Err(error);
            }
            // Servers that send no deltas still put the text in the final object.
            if answer.text.is_empty() {
                let (text, thinking) = response.texts();
                if answer.thinking.is_empty() && !thinking.is_empty() {
                    on_event(ChatEvent::Thinking(&thinking));
                    answer.thinking = thinking;
                }
                if !text.is_empty() {
                    on_event(ChatEvent::Text(&text));
                    answer.text = text;
                }
            }
            answer.finish_reason = response.finish_reason();
            answer.usage = response.usage.map(Usage::from);
            return Ok(false);
        }
        "error" => {
            let message = event
                .message
                .unwrap_or_else(|| "the provider reported an error".to_owned());
            return Err(http::stream_error(event.code.as_deref(), &message));
        }
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
    fn body_for_text_prompt() {
        assert_eq!(
            request_body(&request(&[], None, true)),
            json!({"model": "m1", "input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
                   "store": false, "stream": true})
        );
    }

    #[test]
    fn body_with_image_thinking_and_limits() {
        let images = png();
        let mut req = request(&images, Some(ThinkingLevel::High), false);
        req.max_tokens = Some(100);
        req.temperature = Some(0.5);
        let body = request_body(&req);
        assert_eq!(
            body["input"][0]["content"][1],
            json!({"type": "input_image", "image_url": "data:image/png;base64,AQID"})
        );
        assert_eq!(
            body["reasoning"],
            json!({"effort": "high", "summary": "auto"})
        );
        assert_eq!(body["max_output_tokens"], 100);
        assert_eq!(body["temperature"], 0.5);
        assert!(body.get("stream").is_none());
        assert!(
            request_body(&request(&[], Some(ThinkingLevel::Off), false))
                .get("reasoning")
                .is_none()
        );
    }

    const WHOLE: &str = r#"{
      "id": "resp_1", "object": "response", "status": "completed", "model": "gpt-5",
      "output": [
        {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Capital lookup."}]},
        {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "Paris", "annotations": []}]}
      ],
      "usage": {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 4},
                "output_tokens": 30, "output_tokens_details": {"reasoning_tokens": 28}, "total_tokens": 42}
    }"#;

    #[test]
    fn whole_response_with_reasoning_and_usage() {
        let parsed = parse_response(WHOLE).unwrap();
        assert_eq!(parsed.text, "Paris");
        assert_eq!(parsed.thinking, "Capital lookup.");
        assert_eq!(parsed.finish_reason.as_deref(), Some("stop"));
        let usage = parsed.usage.unwrap();
        assert_eq!(
            (
                usage.input_tokens,
                usage.output_tokens,
                usage.cached_tokens,
                usage.reasoning_tokens,
                usage.total_tokens
            ),
            (Some(12), Some(30), Some(4), Some(28), Some(42))
        );
    }

    #[test]
    fn incomplete_response_spent_on_reasoning_reads_as_length() {
        let parsed = parse_response(
            r#"{"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
                "output": [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "hmm"}]}]}"#,
        )
        .unwrap();
        assert_eq!(parsed.text, "");
        assert_eq!(parsed.finish_reason.as_deref(), Some("length"));
    }

    #[test]
    fn failed_response_is_classified() {
        let error = parse_response(
            r#"{"status": "failed", "error": {"code": "rate_limit_exceeded", "message": "slow down"}, "output": []}"#,
        )
        .unwrap_err();
        assert_eq!(error.reason(), Reason::RateLimit);
        assert!(error.message().contains("slow down"));
    }

    #[test]
    fn error_events_end_the_stream_with_a_reason() {
        let mut answer = ChatResponse::default();
        let mut sink = |_: ChatEvent<'_>| {};
        let error = apply_event(
            r#"{"type": "error", "code": "server_error", "message": "boom", "param": null, "sequence_number": 3}"#,
            &mut answer,
            &mut sink,
        )
        .unwrap_err();
        assert_eq!(error.reason(), Reason::ServerError);
        let error = apply_event(
            r#"{"type": "response.failed", "response": {"status": "failed", "error": {"code": "insufficient_quota", "message": "no credit"}}}"#,
            &mut answer,
            &mut sink,
        )
        .unwrap_err();
        assert_eq!(error.reason(), Reason::Billing);
    }

    #[test]
    fn stream_parsing_is_independent_of_chunk_boundaries() {
        let stream = concat!(
            "event: response.created\n",
            "data: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"status\":\"in_progress\",\"output\":[]}}\n\n",
            "event: response.reasoning_summary_text.delta\n",
            "data: {\"type\":\"response.reasoning_summary_text.delta\",\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"delta\":\"Think\"}\n\n",
            "event: response.output_text.delta\n",
            "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\"Pa\"}\n\n",
            "event: response.output_text.delta\r\n",
            "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\"rïs\"}\r\n\r\n",
            "event: response.output_text.done\n",
            "data: {\"type\":\"response.output_text.done\",\"text\":\"Parïs\"}\n\n",
            "event: response.completed\n",
            "data: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"output\":[],",
            "\"usage\":{\"input_tokens\":5,\"output_tokens\":9,\"output_tokens_details\":{\"reasoning_tokens\":6},\"total_tokens\":14}}}\n\n",
        );
        sse_every_cut(
            stream,
            |_, data, answer| apply_event(data, answer, &mut |_: ChatEvent<'_>| {}),
            |answer, cut| {
                assert_eq!(answer.text, "Parïs", "cut at {cut}");
                assert_eq!(answer.thinking, "Think", "cut at {cut}");
                let usage = answer.usage.as_ref().expect("usage");
                assert_eq!(
                    (usage.output_tokens, usage.reasoning_tokens),
                    (Some(9), Some(6)),
                    "cut at {cut}"
                );
                assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
            },
        );
    }
}
