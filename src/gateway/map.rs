//! Gateway payloads to this tool's envelope, shaped as the reference CLI
//! prints them (its keys and value types), plus our usage and timings.

use serde_json::{Map, Value, json};

use crate::envelope::{Attempt, Envelope, Input, Transport, Usage};
use crate::error::Reason;

/// The final `agent` payload of `model run --gateway`.
pub fn agent(payload: &Value, inputs: Vec<Input>) -> (Envelope, String) {
    let mut envelope = Envelope::success("model.run", Transport::Gateway);
    envelope.inputs = inputs;
    let meta = payload.pointer("/result/meta/agentMeta");
    let text_at = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    envelope.provider = text_at("provider");
    envelope.model = text_at("model");
    envelope.attempts = meta
        .and_then(|m| m.get("fallbackAttempts"))
        .and_then(Value::as_array)
        .map(|list| list.iter().map(attempt).collect())
        .unwrap_or_default();
    let payloads = payload
        .pointer("/result/payloads")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut text = String::new();
    for item in &payloads {
        let mut output = Map::new();
        // The reference keeps these three keys when present, nulls included.
        for key in ["text", "mediaUrl", "mediaUrls"] {
            if let Some(value) = item.get(key) {
                output.insert(key.to_owned(), value.clone());
            }
        }
        if let Some(piece) = item.get("text").and_then(Value::as_str) {
            text.push_str(piece.trim_end());
            text.push('\n');
        }
        if let Some(url) = item.get("mediaUrl").and_then(Value::as_str) {
            text.push_str(url);
            text.push('\n');
        }
        envelope.outputs.push(Value::Object(output));
    }
    envelope.usage = meta.and_then(|m| m.get("usage")).and_then(usage);
    (envelope, text)
}

fn attempt(raw: &Value) -> Attempt {
    let text = |key: &str| {
        raw.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let reason = match raw
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default()
    {
        "auth" => Reason::Auth,
        "auth_permanent" => Reason::AuthPermanent,
        "billing" => Reason::Billing,
        "rate_limit" => Reason::RateLimit,
        "overloaded" => Reason::Overloaded,
        "timeout" => Reason::Timeout,
        "format" => Reason::Format,
        "model_not_found" => Reason::ModelNotFound,
        "server_error" => Reason::ServerError,
        "network" => Reason::Network,
        "truncated" => Reason::Truncated,
        _ => Reason::Unknown,
    };
    Attempt {
        provider: text("provider"),
        model: text("model"),
        error: text("error"),
        reason,
        status: raw
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok()),
        took_ms: None,
        partial_text: None,
    }
}

fn usage(raw: &Value) -> Option<Usage> {
    let number = |key: &str| raw.get(key).and_then(Value::as_u64);
    let usage = Usage {
        input_tokens: number("input"),
        output_tokens: number("output"),
        cached_tokens: number("cacheRead").filter(|n| *n > 0),
        reasoning_tokens: None,
        total_tokens: number("total"),
        cost: None,
    };
    (usage != Usage::default()).then_some(usage)
}

/// Envelope keys a mirrored payload key must not replace.
const OWN_KEYS: [&str; 12] = [
    "ok",
    "capability",
    "transport",
    "provider",
    "model",
    "attempts",
    "inputs",
    "outputs",
    "ignoredOverrides",
    "usage",
    "timings",
    "error",
];

/// A `tts.*` payload: kept whole as the one output, and its keys mirrored
/// at the top level where the reference prints them.
pub fn tts(capability: &str, payload: Value) -> Envelope {
    let mut envelope = Envelope::success(capability, Transport::Gateway);
    if let Value::Object(map) = &payload {
        envelope.provider = map
            .get("provider")
            .and_then(Value::as_str)
            .map(str::to_owned);
        for (key, value) in map {
            if !OWN_KEYS.contains(&key.as_str()) {
                envelope.extra.insert(key.clone(), value.clone());
            }
        }
    }
    envelope.outputs = vec![payload];
    envelope
}

/// `tts.convert`: where the gateway wrote the audio, in the reference's
/// output shape.
pub fn tts_convert(payload: &Value) -> Envelope {
    let mut envelope = Envelope::success("tts.convert", Transport::Gateway);
    envelope.provider = payload
        .get("provider")
        .and_then(Value::as_str)
        .map(str::to_owned);
    envelope.outputs = vec![json!({
        "path": payload.get("audioPath").cloned().unwrap_or(Value::Null),
        "format": payload.get("outputFormat").cloned().unwrap_or(Value::Null),
        "voiceCompatible": payload.get("voiceCompatible").cloned().unwrap_or(Value::Null),
    })];
    envelope
}

/// `tts.providers`: each provider gains `available`, `configured` and
/// `selected` ahead of its own keys, as the reference adds them.
pub fn tts_providers(payload: Value) -> Envelope {
    let active = payload
        .get("active")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let providers: Vec<Value> = payload
        .get("providers")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|provider| {
                    let id = provider
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let mut row = Map::new();
                    row.insert("available".into(), json!(true));
                    row.insert(
                        "configured".into(),
                        json!(
                            provider
                                .get("configured")
                                .and_then(Value::as_bool)
                                .unwrap_or(false)
                        ),
                    );
                    row.insert("selected".into(), json!(!id.is_empty() && id == active));
                    if let Value::Object(own) = provider {
                        for (key, value) in own {
                            row.insert(key.clone(), value.clone());
                        }
                    }
                    Value::Object(row)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut envelope = Envelope::success("tts.providers", Transport::Gateway);
    if let Value::Object(map) = &payload {
        for (key, value) in map {
            if !OWN_KEYS.contains(&key.as_str()) {
                envelope.extra.insert(key.clone(), value.clone());
            }
        }
    }
    envelope
        .extra
        .insert("providers".into(), Value::Array(providers.clone()));
    envelope.outputs = providers;
    envelope
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_payload_maps_like_the_reference() {
        let payload = json!({"runId": "r", "status": "ok", "result": {
            "payloads": [{"text": "stub-ok", "mediaUrl": null}],
            "meta": {"agentMeta": {"provider": "stub", "model": "stub-model",
                "usage": {"input": 5, "output": 2, "cacheRead": 0, "total": 7}}}}});
        let (envelope, text) = agent(&payload, Vec::new());
        let value: Value = serde_json::from_str(&envelope.to_json()).unwrap();
        assert_eq!(value["ok"], true);
        assert_eq!(value["transport"], "gateway");
        assert_eq!(value["provider"], "stub");
        assert_eq!(value["model"], "stub-model");
        assert_eq!(value["attempts"], json!([]));
        assert_eq!(
            value["outputs"],
            json!([{"text": "stub-ok", "mediaUrl": null}])
        );
        assert_eq!(value["usage"]["inputTokens"], 5);
        assert_eq!(text, "stub-ok\n");
    }

    #[test]
    fn a_run_without_result_has_no_outputs() {
        let (envelope, _) = agent(
            &json!({"status": "timeout", "summary": "aborted"}),
            Vec::new(),
        );
        assert!(envelope.ok);
        assert!(envelope.outputs.is_empty());
        assert!(envelope.provider.is_none());
    }

    #[test]
    fn fallback_attempts_are_kept() {
        let payload = json!({"result": {"payloads": [], "meta": {"agentMeta": {
            "fallbackAttempts": [{"provider": "a", "model": "b", "error": "401", "reason": "auth", "status": 401}]}}}});
        let (envelope, _) = agent(&payload, Vec::new());
        assert_eq!(envelope.attempts[0].reason, Reason::Auth);
        assert_eq!(envelope.attempts[0].status, Some(401));
    }

    #[test]
    fn tts_status_mirrors_the_payload_at_the_top() {
        let payload = json!({"enabled": false, "auto": "off", "provider": "", "persona": null});
        let value: Value = serde_json::from_str(&tts("tts.status", payload).to_json()).unwrap();
        assert_eq!(value["transport"], "gateway");
        assert_eq!(value["enabled"], false);
        assert_eq!(value["auto"], "off");
        assert_eq!(value["provider"], "");
        assert!(value["persona"].is_null());
        assert_eq!(value["outputs"][0]["auto"], "off");
    }

    #[test]
    fn tts_providers_gain_state_keys_first() {
        let payload = json!({"providers": [{"id": "openai", "name": "OpenAI", "configured": false}], "active": "openai"});
        let envelope = tts_providers(payload);
        let row = &envelope.outputs[0];
        let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["available", "configured", "selected", "id", "name"]);
        assert_eq!(row["selected"], true);
        assert_eq!(envelope.extra["active"], "openai");
    }
}
