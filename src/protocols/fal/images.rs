//! fal image models: one synchronous call to the model's path (its edit
//! path for edits); results are URLs to download.

use serde_json::{Value, json};

use super::KEY;
use crate::error::{Error, Reason, Result};
use crate::protocols::download::download;
use crate::protocols::images::{
    GeneratedImage, ImageRequest, MAX_IMAGE_BYTES, data_url, parse_size,
};
use crate::protocols::{Endpoint, KeyStyle, format_error, send_json};

/// Flux-style `image_size` presets for the common aspect ratios.
fn size_preset(ratio: &str) -> Option<&'static str> {
    Some(match ratio {
        "1:1" => "square_hd",
        "4:3" => "landscape_4_3",
        "3:4" => "portrait_4_3",
        "16:9" => "landscape_16_9",
        "9:16" => "portrait_16_9",
        _ => return None,
    })
}

pub fn aspect_supported(ratio: &str) -> bool {
    size_preset(ratio).is_some()
}

/// The model path to call: edits go to the model's edit endpoint.
pub fn path(model: &str, editing: bool) -> String {
    if !editing || model.ends_with("/edit") || model.ends_with("/image-to-image") {
        return model.to_owned();
    }
    if let Some(stem) = model.strip_suffix("/text-to-image") {
        return format!("{stem}/edit");
    }
    if model.starts_with("fal-ai/flux") {
        return format!("{model}/image-to-image");
    }
    format!("{model}/edit")
}

pub fn body(request: &ImageRequest<'_>) -> Value {
    let mut body = json!({"prompt": request.prompt, "num_images": request.count});
    if let Some((w, h)) = request.size.as_deref().and_then(parse_size) {
        body["image_size"] = json!({"width": w, "height": h});
    } else if let Some(preset) = request.aspect_ratio.as_deref().and_then(size_preset) {
        body["image_size"] = json!(preset);
    }
    if let Some(format) = &request.output_format {
        body["output_format"] = json!(format);
    }
    match request.inputs {
        [] => {}
        [one] if path(request.model, true).ends_with("/image-to-image") => {
            body["image_url"] = json!(data_url(one));
        }
        many => {
            body["image_urls"] = many.iter().map(data_url).collect();
        }
    }
    body
}

pub async fn generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url(&path(request.model, !request.inputs.is_empty()));
    let builder = endpoint.client.post(&url).json(&body(request));
    let answer = send_json(&endpoint, builder, &url, KEY).await?;
    let Some(items) = answer.get("images").and_then(Value::as_array) else {
        return Err(format_error("no `images` list"));
    };
    let mut images = Vec::new();
    for item in items {
        let Some(image_url) = item.get("url").and_then(Value::as_str) else {
            return Err(format_error("an image without `url`"));
        };
        let (bytes, _) = download(endpoint, image_url, MAX_IMAGE_BYTES, KeyStyle::None).await?;
        images.push(GeneratedImage {
            bytes,
            revised_prompt: None,
        });
    }
    if images.is_empty() {
        return Err(Error::provider(
            Reason::Unknown,
            "the model returned no image",
        ));
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_paths() {
        assert_eq!(
            path("fal-ai/flux/dev", true),
            "fal-ai/flux/dev/image-to-image"
        );
        assert_eq!(
            path("openai/gpt-image-2.5/flare/text-to-image", true),
            "openai/gpt-image-2.5/flare/edit"
        );
        assert_eq!(path("fal-ai/nano-banana", true), "fal-ai/nano-banana/edit");
        assert_eq!(path("fal-ai/flux/dev", false), "fal-ai/flux/dev");
    }
}
