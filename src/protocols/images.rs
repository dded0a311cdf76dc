//! What every image API shares: the request as the executor states it,
//! the images that come back, and base64/data-URL handling. Each vendor's
//! wire code is in its API folder (`openai/images.rs`, `google/images.rs`,
//! `xai/`, `huggingface/`, `fal/`, `openrouter/`).

use base64::Engine as _;

use super::format_error;
use crate::error::Result;
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

pub(crate) fn b64() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::STANDARD
}

pub(crate) fn data_url(image: &ImageFile) -> String {
    format!(
        "data:{};base64,{}",
        image.mime_type,
        b64().encode(&image.bytes)
    )
}

pub(crate) fn decode_b64(data: &str) -> Result<Vec<u8>> {
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

/// `WIDTHxHEIGHT` as numbers.
pub fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once(['x', 'X'])?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}
