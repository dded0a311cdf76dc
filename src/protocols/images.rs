//! Image generation and edit wire formats, one function pair per vendor
//! API: OpenAI Images (also spoken by xAI), Gemini `generateContent` and
//! Imagen `:predict`, Hugging Face hf-inference text-to-image, fal model
//! endpoints, and OpenRouter chat completions with image output.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Endpoint, KeyStyle, format_error, send_json};
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::media::ImageFile;

/// Largest image accepted from a provider download.
pub const MAX_IMAGE_BYTES: usize = 50 * 1024 * 1024;

/// What to ask for. Hints the chosen provider cannot honour are `None`
/// by the time a request is built (they go to `ignoredOverrides`).
#[derive(Debug, Clone, Default)]
pub struct ImageRequest<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub count: u32,
    pub size: Option<String>,
    pub aspect_ratio: Option<String>,
    /// `1K`, `2K` or `4K`.
    pub resolution: Option<String>,
    /// `png`, `jpeg` or `webp`.
    pub output_format: Option<String>,
    pub background: Option<String>,
    pub moderation: Option<String>,
    pub quality: Option<String>,
    /// Reference images: present for edits.
    pub inputs: &'a [ImageFile],
}

#[derive(Debug, Clone)]
pub struct GeneratedImage {
    pub bytes: Vec<u8>,
    pub revised_prompt: Option<String>,
}

fn b64() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::STANDARD
}

fn data_url(image: &ImageFile) -> String {
    format!(
        "data:{};base64,{}",
        image.mime_type,
        b64().encode(&image.bytes)
    )
}

fn decode_b64(data: &str) -> Result<Vec<u8>> {
    b64()
        .decode(data.trim())
        .map_err(|error| format_error(format!("bad base64 image data: {error}")))
}

/// `data:<mime>;base64,<data>` to bytes.
pub fn decode_data_url(url: &str) -> Option<Result<Vec<u8>>> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    if !meta.ends_with(";base64") {
        return Some(Err(format_error("a data URL that is not base64")));
    }
    Some(decode_b64(data))
}

/// Fetch a provider-hosted result (`url` from an answer), capped in size.
/// On the provider's own origin it goes with the key in `auth`
/// (`KeyStyle::None` for a public file); anywhere else, or after a redirect
/// elsewhere, it goes through the SSRF guard with no key and no configured
/// headers.
pub async fn download(
    endpoint: Endpoint<'_>,
    url: &str,
    max_bytes: usize,
    auth: KeyStyle,
) -> Result<(Vec<u8>, Option<String>)> {
    if let Some(decoded) = decode_data_url(url) {
        return decoded.map(|bytes| (bytes, None));
    }
    if !http::same_origin(url, endpoint.base_url) {
        return download_foreign(&endpoint, url, max_bytes).await;
    }
    let mut builder = auth.apply(endpoint.client.get(url), endpoint.api_key);
    if let Some(deadline) = endpoint.deadline {
        builder = builder.timeout(deadline.saturating_duration_since(std::time::Instant::now()));
    }
    let response = builder
        .send()
        .await
        .map_err(|error| http::transport_error(error, url))?;
    if response.status().is_redirection() {
        // The client follows redirects only on the same origin.
        return match http::redirect_target(&response) {
            Some(target) => download_foreign(&endpoint, target.as_str(), max_bytes).await,
            None => Err(http::redirect_error(url, &response)),
        };
    }
    if !response.status().is_success() {
        return Err(http::error_from_response(response).await);
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if response
        .content_length()
        .is_some_and(|len| len as usize > max_bytes)
    {
        return Err(too_large(url, max_bytes));
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    use futures_util::StreamExt;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| http::body_error(error, url))?;
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large(url, max_bytes));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, content_type))
}

/// A result on another origin: the guarded fetcher (each hop's addresses
/// checked against `tools.web.fetch.ssrfPolicy`), without credentials.
async fn download_foreign(
    endpoint: &Endpoint<'_>,
    url: &str,
    max_bytes: usize,
) -> Result<(Vec<u8>, Option<String>)> {
    use crate::web::fetch::{FetchOptions, fetch};
    use crate::web::ssrf::{Guard, SsrfPolicy};
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| format_error(format!("an invalid file URL: {error}")))?;
    let options = FetchOptions {
        max_response_bytes: max_bytes,
        timeout: endpoint
            .deadline
            .map_or(http::DEFAULT_REQUEST_TIMEOUT, |d| {
                d.saturating_duration_since(std::time::Instant::now())
            }),
        max_redirects: 3,
        user_agent: concat!("openclaw/", env!("CARGO_PKG_VERSION")).to_owned(),
        guard: endpoint
            .guard
            .cloned()
            .unwrap_or_else(|| Guard::new(SsrfPolicy::default())),
    };
    let page = fetch(&parsed, &options).await?;
    if page.truncated {
        return Err(too_large(url, max_bytes));
    }
    if !(200..300).contains(&page.status) {
        let status =
            reqwest::StatusCode::from_u16(page.status).unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
        return Err(http::error_from_parts(status, None, "")
            .context(format!("downloading {}", http::redact_url(url))));
    }
    Ok((page.body, page.content_type))
}

fn too_large(url: &str, max_bytes: usize) -> Error {
    Error::provider(
        Reason::Format,
        format!(
            "the file at {} is larger than the {} MB limit",
            http::redact_url(url),
            max_bytes / (1024 * 1024)
        ),
    )
}

// ---------------------------------------------------------------- OpenAI

/// `POST {base}/images/generations` body (OpenAI; xAI adds its own keys).
pub fn openai_generation_body(request: &ImageRequest<'_>) -> Value {
    let mut body = json!({"model": request.model, "prompt": request.prompt, "n": request.count});
    let object = body.as_object_mut().expect("object");
    for (key, value) in openai_fields(request) {
        object.insert(key.into(), json!(value));
    }
    // DALL-E models answer with URLs unless asked; gpt-image always sends base64.
    if request.model.starts_with("dall-e") {
        object.insert("response_format".into(), json!("b64_json"));
    }
    body
}

fn openai_fields(request: &ImageRequest<'_>) -> Vec<(&'static str, String)> {
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
async fn openai_images(endpoint: Endpoint<'_>, answer: &Value) -> Result<Vec<GeneratedImage>> {
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

pub async fn openai_generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url("images/generations");
    let builder = endpoint
        .client
        .post(&url)
        .json(&openai_generation_body(request));
    let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    openai_images(endpoint, &answer).await
}

/// `POST {base}/images/edits` as multipart: text fields plus one `image[]`
/// file part per reference image.
pub fn openai_edit_form(request: &ImageRequest<'_>) -> Result<reqwest::multipart::Form> {
    let mut form = reqwest::multipart::Form::new()
        .text("model", request.model.to_owned())
        .text("prompt", request.prompt.to_owned())
        .text("n", request.count.to_string());
    for (key, value) in openai_fields(request) {
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

pub async fn openai_edit(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url("images/edits");
    let builder = endpoint
        .client
        .post(&url)
        .multipart(openai_edit_form(request)?);
    let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    openai_images(endpoint, &answer).await
}

// ---------------------------------------------------------------- xAI

/// xAI speaks the OpenAI Images shape with `aspect_ratio` and `resolution`
/// (`1k`/`2k`); edits are JSON with the references as image URLs.
pub fn xai_body(request: &ImageRequest<'_>) -> Value {
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

pub async fn xai_generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let path = if request.inputs.is_empty() {
        "images/generations"
    } else {
        "images/edits"
    };
    let url = endpoint.url(path);
    let builder = endpoint.client.post(&url).json(&xai_body(request));
    let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
    openai_images(endpoint, &answer).await
}

// ---------------------------------------------------------------- Google

pub(crate) const GOOGLE_KEY: KeyStyle = KeyStyle::Header("x-goog-api-key");

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

pub async fn google_generate(
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
        let answer = send_json(&endpoint, builder, &url, GOOGLE_KEY).await?;
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
        let answer = send_json(&endpoint, builder, &url, GOOGLE_KEY).await?;
        images.extend(gemini_images(&answer)?);
    }
    images.truncate(request.count as usize);
    Ok(images)
}

// ---------------------------------------------------------------- Hugging Face

/// hf-inference lives beside the chat router: `{router}/hf-inference/models/{model}`.
pub fn hf_inference_url(base_url: &str, model: &str) -> String {
    let root = base_url.trim_end_matches('/');
    let root = root.strip_suffix("/v1").unwrap_or(root);
    format!("{root}/hf-inference/models/{model}")
}

pub fn hf_body(request: &ImageRequest<'_>) -> Value {
    let mut body = json!({"inputs": request.prompt});
    if let Some((w, h)) = request.size.as_deref().and_then(parse_size) {
        body["parameters"] = json!({"width": w, "height": h});
    }
    body
}

pub fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once(['x', 'X'])?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

/// The answer is the image itself; one image per call.
pub async fn hf_generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = hf_inference_url(endpoint.base_url, request.model);
    let body = hf_body(request);
    let mut images = Vec::new();
    for _ in 0..request.count {
        let builder = endpoint
            .client
            .post(&url)
            .header(reqwest::header::ACCEPT, "image/png")
            .json(&body);
        let response = super::send(&endpoint, builder, &url, KeyStyle::Bearer).await?;
        let bytes = super::bytes_of(response, &url).await?;
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

// ---------------------------------------------------------------- fal

/// fal keys go in `Authorization: Key <key>`.
pub(crate) const FAL_KEY: KeyStyle = KeyStyle::Scheme("Key");

/// Flux-style `image_size` presets for the common aspect ratios.
fn fal_size_preset(ratio: &str) -> Option<&'static str> {
    Some(match ratio {
        "1:1" => "square_hd",
        "4:3" => "landscape_4_3",
        "3:4" => "portrait_4_3",
        "16:9" => "landscape_16_9",
        "9:16" => "portrait_16_9",
        _ => return None,
    })
}

pub fn fal_aspect_supported(ratio: &str) -> bool {
    fal_size_preset(ratio).is_some()
}

/// The model path to call: edits go to the model's edit endpoint.
pub fn fal_path(model: &str, editing: bool) -> String {
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

pub fn fal_body(request: &ImageRequest<'_>) -> Value {
    let mut body = json!({"prompt": request.prompt, "num_images": request.count});
    if let Some((w, h)) = request.size.as_deref().and_then(parse_size) {
        body["image_size"] = json!({"width": w, "height": h});
    } else if let Some(preset) = request.aspect_ratio.as_deref().and_then(fal_size_preset) {
        body["image_size"] = json!(preset);
    }
    if let Some(format) = &request.output_format {
        body["output_format"] = json!(format);
    }
    match request.inputs {
        [] => {}
        [one] if fal_path(request.model, true).ends_with("/image-to-image") => {
            body["image_url"] = json!(data_url(one));
        }
        many => {
            body["image_urls"] = many.iter().map(data_url).collect();
        }
    }
    body
}

pub async fn fal_generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url(&fal_path(request.model, !request.inputs.is_empty()));
    let builder = endpoint.client.post(&url).json(&fal_body(request));
    let answer = send_json(&endpoint, builder, &url, FAL_KEY).await?;
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

// ---------------------------------------------------------------- OpenRouter

/// Chat completions with `modalities: ["image", "text"]`.
pub fn openrouter_body(request: &ImageRequest<'_>) -> Value {
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
pub fn openrouter_images(answer: &Value) -> Result<Vec<GeneratedImage>> {
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

pub async fn openrouter_generate(
    endpoint: Endpoint<'_>,
    request: &ImageRequest<'_>,
) -> Result<Vec<GeneratedImage>> {
    let url = endpoint.url("chat/completions");
    let body = openrouter_body(request);
    let mut images = Vec::new();
    while images.len() < request.count as usize {
        let builder = endpoint.client.post(&url).json(&body);
        let answer = send_json(&endpoint, builder, &url, KeyStyle::Bearer).await?;
        images.extend(openrouter_images(&answer)?);
    }
    images.truncate(request.count as usize);
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            openai_generation_body(&request(&[])),
            json!({"model": "gpt-image-1.5", "prompt": "a red circle", "n": 2,
                   "size": "1024x1536", "quality": "low", "background": "transparent",
                   "output_format": "png", "moderation": "low"})
        );
    }

    #[test]
    fn xai_edits_send_references_as_data_urls() {
        let image = ImageFile {
            path: "a.png".into(),
            mime_type: "image/png",
            bytes: vec![1, 2, 3],
        };
        let one = [image.clone()];
        let mut request = request(&one);
        request.model = "grok-imagine-image";
        request.aspect_ratio = Some("1:1".into());
        request.resolution = Some("2K".into());
        let body = xai_body(&request);
        assert_eq!(
            body["image"],
            json!({"type": "image_url", "url": "data:image/png;base64,AQID"})
        );
        assert_eq!(body["resolution"], "2k");
        let two = [image.clone(), image];
        assert_eq!(
            xai_body(&ImageRequest {
                inputs: &two,
                ..request.clone()
            })["images"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

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

    #[test]
    fn hf_url_sits_beside_the_router() {
        assert_eq!(
            hf_inference_url(
                "https://router.huggingface.co/v1",
                "black-forest-labs/FLUX.1-schnell"
            ),
            "https://router.huggingface.co/hf-inference/models/black-forest-labs/FLUX.1-schnell"
        );
    }

    #[test]
    fn fal_edit_paths() {
        assert_eq!(
            fal_path("fal-ai/flux/dev", true),
            "fal-ai/flux/dev/image-to-image"
        );
        assert_eq!(
            fal_path("openai/gpt-image-2.5/flare/text-to-image", true),
            "openai/gpt-image-2.5/flare/edit"
        );
        assert_eq!(
            fal_path("fal-ai/nano-banana", true),
            "fal-ai/nano-banana/edit"
        );
        assert_eq!(fal_path("fal-ai/flux/dev", false), "fal-ai/flux/dev");
    }

    #[test]
    fn openrouter_images_come_from_data_urls() {
        let answer = json!({"choices": [{"message": {"content": "ok", "images": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AQID"}}]}}]});
        assert_eq!(openrouter_images(&answer).unwrap()[0].bytes, [1, 2, 3]);
        let none = json!({"choices": [{"message": {"content": "I cannot draw"}}]});
        assert!(
            openrouter_images(&none)
                .unwrap_err()
                .message()
                .contains("cannot draw")
        );
    }
}
