//! `embedding.create`: texts to vectors through one provider. Texts go in
//! as few requests as the provider's batch limit allows, in input order.

use crate::capabilities::provider_call::{Connection, with_retries};
use crate::context::Context;
use crate::envelope::Usage;
use crate::error::{Error, Result};
use crate::protocols::{EmbeddingResponse, google, ollama, openai};
use crate::registry::{Provider, Resolved};

pub use crate::catalog::EmbeddingProtocol;

impl EmbeddingProtocol {
    /// The provider's embedding API, as the registry resolved it.
    pub fn for_provider(provider: &Provider) -> Option<EmbeddingProtocol> {
        provider.apis.embedding
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EmbeddingProtocol::OpenAi => "openai-embeddings",
            EmbeddingProtocol::Voyage => "voyage-embeddings",
            EmbeddingProtocol::Gemini => "gemini-batch-embed",
            EmbeddingProtocol::Ollama => "ollama-embed",
        }
    }
}

/// Most texts one request may carry (the providers' documented limits;
/// a conservative figure where none is published).
pub fn batch_limit(provider: &Provider, protocol: EmbeddingProtocol) -> usize {
    match (provider.id.as_str(), protocol) {
        ("openai", _) => 2048,
        (_, EmbeddingProtocol::Voyage) => 1000,
        (_, EmbeddingProtocol::Gemini) => 100,
        ("mistral", _) => 128,
        _ => 256,
    }
}

pub struct EmbeddingOutcome {
    pub vectors: Vec<Vec<f32>>,
    pub usage: Option<Usage>,
}

pub async fn create(
    ctx: &Context,
    target: &Resolved<'_>,
    texts: &[String],
) -> Result<EmbeddingOutcome> {
    let provider = target.provider;
    let protocol = EmbeddingProtocol::for_provider(provider).ok_or_else(|| {
        Error::usage(format!("provider `{}` has no embeddings API", provider.id))
            .with_hint("`openclaw infer embedding providers` lists the embedding providers")
    })?;
    let connection = Connection::open(ctx, provider)?;
    let model = target.model.id.as_str();
    let mut vectors = Vec::with_capacity(texts.len());
    let mut usage: Option<Usage> = None;
    for chunk in texts.chunks(batch_limit(provider, protocol)) {
        let response: EmbeddingResponse = with_retries(|| {
            let endpoint = connection.endpoint(connection.deadline(None));
            async move {
                match protocol {
                    // Voyage's `input_type` is optional; without it the text is embedded as is.
                    EmbeddingProtocol::OpenAi | EmbeddingProtocol::Voyage => {
                        openai::embeddings::embed(endpoint, model, chunk, None).await
                    }
                    EmbeddingProtocol::Gemini => {
                        google::embeddings::embed(endpoint, model, chunk).await
                    }
                    EmbeddingProtocol::Ollama => {
                        ollama::embeddings::embed(endpoint, model, chunk).await
                    }
                }
            }
        })
        .await?;
        vectors.extend(response.vectors);
        if let Some(more) = response.usage {
            let total = usage.get_or_insert_with(Usage::default);
            total.input_tokens = add(total.input_tokens, more.input_tokens);
            total.total_tokens = add(total.total_tokens, more.total_tokens);
        }
    }
    Ok(EmbeddingOutcome { vectors, usage })
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}
