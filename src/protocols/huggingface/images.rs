//! Hugging Face hf-inference text-to-image: the answer is the image itself,
//! one per call.

use serde_json::{Value, json};

use crate::error::Result;
use crate::protocols::download::too_large;
use crate::protocols::images::{GeneratedImage, ImageRequest, MAX_IMAGE_BYTES, parse_size};
use crate::protocols::{Endpoint, KeyStyle};

/// hf-inference lives beside the chat router: `{router}/hf-inference/models/{model}`.
pub fn inference_url(base_url: &str, model: &str) -> String {
    let root = base_url.trim_end_matches('/');
    let root = root.strip_suffix("/v1").unwrap_or(root);
    format!("{root}/hf-inference/models/{model}")
}

pub fn body(request: &ImageRequest<'_>) -> Value {
    let mut body = json!({"inputs": request.prompt});
    if let Some((w, h)) = request.size.as_deref().and_then(parse_size) {
        body["parameters"] = json!({"width": w, "height": h});
    }
    body
}

/// The answer is the image itself; one image per call.
pub async fn generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = inference_url(endpoint.base_url, request.model);
    let body = body(request);
    let mut images = Vec::new();
    for _ in 0..request.count {
        let builder = endpoint
            .client
            .post(&url)
            .header(reqwest::header::ACCEPT, "image/png")
            .json(&body);
        let response = crate::protocols::send(&endpoint, builder, &url, KeyStyle::Bearer).await?;
        let bytes = crate::protocols::bytes_of(response, &url).await?;
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(too_large(&url, MAX_IMAGE_BYTES));
        }
        images.push(GeneratedImage {
            bytes,
            revised_prompt: None,
        });
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_sits_beside_the_router() {
        assert_eq!(
            inference_url(
                "https://router.huggingface.co/v1",
                "black-forest-labs/FLUX.1-schnell"
            ),
            "https://router.huggingface.co/hf-inference/models/black-forest-labs/FLUX.1-schnell"
        );
    }
}
