//! Gemini image models (`generateContent` asking for image output) and
//! Imagen (`:predict` with `sampleCount`).

use base64::Engine as _;
use serde_json::{Value, json};

use super::KEY;
use crate::error::{Error, Reason, Result};
use crate::protocols::images::{GeneratedImage, ImageRequest, b64, decode_b64};
use crate::protocols::{Endpoint, send_json};

/// Gemini image models: `generateContent` asking for image output.
pub fn gemini_body(request: &ImageRequest<'_>) -> Value {
    let mut parts = vec![json!({"text": request.prompt})];
    for image in request.inputs {
        parts.push(json!({"inline_data": {
            "mime_type": image.mime_type,
            "data": b64().encode(&image.bytes),
        }}));
    }
    let mut image_config = serde_json::Map::new();
    if let Some(ratio) = &request.aspect_ratio {
        image_config.insert("aspectRatio".into(), json!(ratio));
    }
    if let Some(resolution) = &request.resolution {
        image_config.insert("imageSize".into(), json!(resolution));
    }
    let mut config = json!({"responseModalities": ["IMAGE"]});
    if !image_config.is_empty() {
        config["imageConfig"] = Value::Object(image_config);
    }
    json!({
        "contents": [{"role": "user", "parts": parts}],
        "generationConfig": config,
    })
}

/// Inline image parts of a `generateContent` answer, plus any text.
pub fn gemini_images(answer: &Value) -> Result<Vec<GeneratedImage>> {
    let parts = answer
        .pointer("/candidates/0/content/parts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut images = Vec::new();
    let mut text = String::new();
    for part in &parts {
        let inline = part.get("inlineData").or_else(|| part.get("inline_data"));
        if let Some(data) = inline.and_then(|i| i.get("data")).and_then(Value::as_str) {
            images.push(GeneratedImage {
                bytes: decode_b64(data)?,
                revised_prompt: None,
            });
        } else if let Some(t) = part.get("text").and_then(Value::as_str) {
            text.push_str(t);
        }
    }
    if images.is_empty() {
        let reason = answer
            .pointer("/candidates/0/finishReason")
            .or_else(|| answer.pointer("/promptFeedback/blockReason"))
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        let mut message = format!("the model returned no image ({reason})");
        if !text.trim().is_empty() {
            message.push_str(&format!(": {}", text.trim()));
        }
        return Err(Error::provider(Reason::Unknown, message));
    }
    Ok(images)
}

/// Imagen models: `:predict` with `sampleCount`.
pub fn imagen_body(request: &ImageRequest<'_>) -> Value {
    let mut parameters = json!({"sampleCount": request.count});
    if let Some(ratio) = &request.aspect_ratio {
        parameters["aspectRatio"] = json!(ratio);
    }
    if let Some(resolution) = &request.resolution {
        parameters["sampleImageSize"] = json!(resolution);
    }
    json!({"instances": [{"prompt": request.prompt}], "parameters": parameters})
}

pub async fn generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    if request.model.starts_with("imagen") {
        if !request.inputs.is_empty() {
            return Err(Error::unsupported(format!(
                "`{}` generates from text only; use a Gemini image model to edit",
                request.model
            )));
        }
        let url = endpoint.url(&format!("models/{}:predict", request.model));
        let builder = endpoint.client.post(&url).json(&imagen_body(request));
        let answer = send_json(&endpoint, builder, &url, KEY).await?;
        let predictions = answer
            .get("predictions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let images = predictions
            .iter()
            .filter_map(|p| p.get("bytesBase64Encoded").and_then(Value::as_str))
            .map(|data| {
                Ok(GeneratedImage {
                    bytes: decode_b64(data)?,
                    revised_prompt: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if images.is_empty() {
            return Err(Error::provider(
                Reason::Unknown,
                "the model returned no image",
            ));
        }
        return Ok(images);
    }
    // One image per call: ask as many times as needed.
    let url = endpoint.url(&format!("models/{}:generateContent", request.model));
    let body = gemini_body(request);
    let mut images = Vec::new();
    while images.len() < request.count as usize {
        let builder = endpoint.client.post(&url).json(&body);
        let answer = send_json(&endpoint, builder, &url, KEY).await?;
        images.extend(gemini_images(&answer)?);
    }
    images.truncate(request.count as usize);
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemini_answer_parts() {
        let answer = json!({"candidates": [{"content": {"parts": [
            {"text": "here"}, {"inlineData": {"mimeType": "image/png", "data": "AQID"}}]}}]});
        let images = gemini_images(&answer).unwrap();
        assert_eq!(images[0].bytes, [1, 2, 3]);
        let refused = json!({"candidates": [{"finishReason": "SAFETY", "content": {"parts": []}}]});
        assert!(
            gemini_images(&refused)
                .unwrap_err()
                .message()
                .contains("SAFETY")
        );
    }
}
