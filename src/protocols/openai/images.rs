//! OpenAI Images: `images/generations` (JSON) and `images/edits`
//! (multipart). xAI answers in the same `data` shape.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::protocols::download::download;
use crate::protocols::images::{GeneratedImage, ImageRequest, MAX_IMAGE_BYTES, decode_b64};
use crate::protocols::{Endpoint, KeyStyle, format_error, send_json};

/// `POST {base}/images/generations` body (OpenAI; xAI adds its own keys).
pub fn generation_body(request: &ImageRequest<'_>) -> Value {
    let mut body = json!({"model": request.model, "prompt": request.prompt, "n": request.count});
    let object = body.as_object_mut().expect("object");
    for (key, value) in fields(request) {
        object.insert(key.into(), json!(value));
    }
    // DALL-E models answer with URLs unless asked; gpt-image always sends base64.
    if request.model.starts_with("dall-e") {
        object.insert("response_format".into(), json!("b64_json"));
    }
    body
}

fn fields(request: &ImageRequest<'_>) -> Vec<(&'static str, String)> {
    let mut fields = Vec::new();
    let pairs = [
        ("size", &request.size),
        ("quality", &request.quality),
        ("background", &request.background),
        ("output_format", &request.output_format),
        ("moderation", &request.moderation),
    ];
    for (key, value) in pairs {
        if let Some(value) = value {
            fields.push((key, value.clone()));
        }
    }
    fields
}

/// `{data: [{b64_json | url, revised_prompt?}]}`.
pub(crate) async fn images_of(
    endpoint: Endpoint<'_>,
    answer: &Value,
) -> Result<Vec<GeneratedImage>> {
    let Some(items) = answer.get("data").and_then(Value::as_array) else {
        return Err(format_error("no `data` list"));
    };
    let mut images = Vec::new();
    for item in items {
        let revised_prompt = item
            .get("revised_prompt")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let bytes = if let Some(data) = item.get("b64_json").and_then(Value::as_str) {
            decode_b64(data)?
        } else if let Some(url) = item.get("url").and_then(Value::as_str) {
            download(endpoint, url, MAX_IMAGE_BYTES, KeyStyle::None)
                .await?
                .0
        } else {
            return Err(format_error("an image without `b64_json` or `url`"));
        };
        images.push(GeneratedImage {
            bytes,
            revised_prompt,
        });
    }
    Ok(images)
}

pub async fn generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url("images/generations");
    let builder = endpoint.client.post(&url).json(&generation_body(request));
    let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    images_of(endpoint, &answer).await
}

/// `POST {base}/images/edits` as multipart: text fields plus one `image[]`
/// file part per reference image.
pub fn edit_form(request: &ImageRequest<'_>) -> Result<reqwest::multipart::Form> {
    let mut form = reqwest::multipart::Form::new()
        .text("model", request.model.to_owned())
        .text("prompt", request.prompt.to_owned())
        .text("n", request.count.to_string());
    for (key, value) in fields(request) {
        form = form.text(key, value);
    }
    for (index, image) in request.inputs.iter().enumerate() {
        let ext = crate::media::extension_for(image.mime_type).unwrap_or("png");
        let part = reqwest::multipart::Part::bytes(image.bytes.clone())
            .file_name(format!("image-{}.{ext}", index + 1))
            .mime_str(image.mime_type)
            .map_err(|error| Error::internal(error.to_string()))?;
        form = form.part("image[]", part);
    }
    Ok(form)
}

pub async fn edit(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url("images/edits");
    let builder = endpoint.client.post(&url).multipart(edit_form(request)?);
    let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    images_of(endpoint, &answer).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ImageFile;

    fn request<'a>(inputs: &'a [ImageFile]) -> ImageRequest<'a> {
        ImageRequest {
            model: "gpt-image-1.5",
            prompt: "a red circle",
            count: 2,
            size: Some("1024x1536".into()),
            quality: Some("low".into()),
            background: Some("transparent".into()),
            output_format: Some("png".into()),
            moderation: Some("low".into()),
            inputs,
            ..ImageRequest::default()
        }
    }

    #[test]
    fn openai_generation_body_carries_gpt_image_params() {
        assert_eq!(
            generation_body(&request(&[])),
            json!({"model": "gpt-image-1.5", "prompt": "a red circle", "n": 2,
                   "size": "1024x1536", "quality": "low", "background": "transparent",
                   "output_format": "png", "moderation": "low"})
        );
    }
}
