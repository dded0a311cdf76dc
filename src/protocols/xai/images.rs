//! xAI images: the OpenAI Images shape with `aspect_ratio` and
//! `resolution`; edits are JSON with the references as image URLs.

use serde_json::{Value, json};

use crate::error::Result;
use crate::protocols::images::{GeneratedImage, ImageRequest, data_url};
use crate::protocols::openai::images::images_of;
use crate::protocols::{Endpoint, KeyStyle, send_json};

/// xAI speaks the OpenAI Images shape with `aspect_ratio` and `resolution`
/// (`1k`/`2k`); edits are JSON with the references as image URLs.
pub fn body(request: &ImageRequest<'_>) -> Value {
    let mut body = json!({
        "model": request.model,
        "prompt": request.prompt,
        "n": request.count,
        "response_format": "b64_json",
    });
    let object = body.as_object_mut().expect("object");
    if let Some(ratio) = &request.aspect_ratio {
        object.insert("aspect_ratio".into(), json!(ratio));
    }
    if let Some(resolution) = &request.resolution {
        object.insert("resolution".into(), json!(resolution.to_ascii_lowercase()));
    }
    let references: Vec<Value> = request
        .inputs
        .iter()
        .map(|image| json!({"type": "image_url", "url": data_url(image)}))
        .collect();
    match references.len() {
        0 => {}
        1 => {
            object.insert("image".into(), references[0].clone());
        }
        _ => {
            object.insert("images".into(), Value::Array(references));
        }
    }
    body
}

pub async fn generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let path = if request.inputs.is_empty() {
        "images/generations"
    } else {
        "images/edits"
    };
    let url = endpoint.url(path);
    let builder = endpoint.client.post(&url).json(&body(request));
    let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    images_of(endpoint, &answer).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ImageFile;

    #[test]
    fn xai_edits_send_references_as_data_urls() {
        let image = ImageFile {
            path: "a.png".into(),
            mime_type: "image/png",
            bytes: vec![1, 2, 3],
        };
        let one = [image.clone()];
        let mut request = ImageRequest {
            count: 2,
            prompt: "a red circle",
            inputs: &one,
            ..ImageRequest::default()
        };
        request.model = "grok-imagine-image";
        request.aspect_ratio = Some("1:1".into());
        request.resolution = Some("2K".into());
        let one_body = body(&request);
        assert_eq!(
            one_body["image"],
            json!({"type": "image_url", "url": "data:image/png;base64,AQID"})
        );
        assert_eq!(one_body["resolution"], "2k");
        let two = [image.clone(), image];
        assert_eq!(
            body(&ImageRequest {
                inputs: &two,
                ..request.clone()
            })["images"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}
