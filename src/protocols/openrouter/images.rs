//! OpenRouter image output: chat completions with `modalities: ["image",
//! "text"]`, images returned as data URLs in the message.

use serde_json::{Value, json};

use crate::error::{Error, Reason, Result};
use crate::protocols::images::{GeneratedImage, ImageRequest, data_url, decode_data_url};
use crate::protocols::{Endpoint, KeyStyle, format_error, send_json};

/// Chat completions with `modalities: ["image", "text"]`.
pub fn body(request: &ImageRequest<'_>) -> Value {
    let content = if request.inputs.is_empty() {
        json!(request.prompt)
    } else {
        let mut parts = vec![json!({"type": "text", "text": request.prompt})];
        for image in request.inputs {
            parts.push(json!({"type": "image_url", "image_url": {"url": data_url(image)}}));
        }
        Value::Array(parts)
    };
    let mut body = json!({
        "model": request.model,
        "messages": [{"role": "user", "content": content}],
        "modalities": ["image", "text"],
    });
    let mut image_config = serde_json::Map::new();
    if let Some(ratio) = &request.aspect_ratio {
        image_config.insert("aspect_ratio".into(), json!(ratio));
    }
    if let Some(resolution) = &request.resolution {
        image_config.insert("image_size".into(), json!(resolution));
    }
    if !image_config.is_empty() {
        body["image_config"] = Value::Object(image_config);
    }
    body
}

/// `choices[0].message.images[].image_url.url` data URLs.
pub fn images_of(answer: &Value) -> Result<Vec<GeneratedImage>> {
    if let Some(error) = answer.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| error.to_string());
        return Err(Error::provider(Reason::Unknown, message));
    }
    let message = answer.pointer("/choices/0/message");
    let items = message
        .and_then(|m| m.get("images"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut images = Vec::new();
    for item in &items {
        let Some(url) = item.pointer("/image_url/url").and_then(Value::as_str) else {
            continue;
        };
        let Some(bytes) = decode_data_url(url) else {
            return Err(format_error("an image that is not a data URL"));
        };
        images.push(GeneratedImage {
            bytes: bytes?,
            revised_prompt: None,
        });
    }
    if images.is_empty() {
        let text = message
            .and_then(|m| m.get("content"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let mut error = "the model returned no image".to_owned();
        if !text.is_empty() {
            error.push_str(&format!(": {text}"));
        }
        return Err(Error::provider(Reason::Unknown, error));
    }
    Ok(images)
}

pub async fn generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url("chat/completions");
    let body = body(request);
    let mut images = Vec::new();
    while images.len() < request.count as usize {
        let builder = endpoint.client.post(&url).json(&body);
        let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
        images.extend(images_of(&answer)?);
    }
    images.truncate(request.count as usize);
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_come_from_data_urls() {
        let answer = json!({"choices": [{"message": {"content": "ok", "images": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AQID"}}]}}]});
        assert_eq!(images_of(&answer).unwrap()[0].bytes, [1, 2, 3]);
        let none = json!({"choices": [{"message": {"content": "I cannot draw"}}]});
        assert!(
            images_of(&none)
                .unwrap_err()
                .message()
                .contains("cannot draw")
        );
    }
}
