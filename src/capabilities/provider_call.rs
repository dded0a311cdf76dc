//! Shared plumbing for one-shot provider calls (embeddings, transcription,
//! speech): the HTTP client and credential for a provider, and the retry loop.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::auth::{self, Credential};
use crate::context::Context;
use crate::error::Result;
use crate::http;
use crate::protocols::Endpoint;
use crate::registry::Provider;

/// Everything needed to reach one provider.
pub struct Connection<'p> {
    pub provider: &'p Provider,
    pub client: reqwest::Client,
    pub credential: Option<Credential>,
    /// Checks URLs the provider hands back on another origin.
    pub guard: crate::web::ssrf::Guard,
}

impl<'p> Connection<'p> {
    /// Look up the key (an auth error when a required key is missing) and
    /// the client (the provider's own when it has a proxy).
    pub fn open(ctx: &Context, provider: &'p Provider) -> Result<Connection<'p>> {
        let credential = auth::require(provider, ctx.profiles()?)?;
        let client = match &provider.proxy {
            Some(proxy) => http::build_client(Some(proxy))?,
            None => ctx.client()?.clone(),
        };
        // A broken `tools.web` section must not stop provider calls; such
        // downloads then get the default (strictest) policy.
        let policy = crate::web::config::fetch_settings(ctx.config()?)
            .map(|settings| super::web_fetch::ssrf_policy(&settings))
            .unwrap_or_default();
        Ok(Connection {
            provider,
            client,
            credential,
            guard: crate::web::ssrf::Guard::new(policy),
        })
    }

    pub fn endpoint(&self, deadline: Option<Instant>) -> Endpoint<'_> {
        Endpoint {
            client: &self.client,
            base_url: &self.provider.base_url,
            api_key: self.credential.as_ref().map(|c| &c.secret),
            headers: &self.provider.headers,
            deadline,
            guard: Some(&self.guard),
        }
    }

    /// The per-request deadline from the provider's `timeoutSeconds`.
    pub fn deadline(&self, default: Option<Duration>) -> Option<Instant> {
        self.provider
            .request_timeout
            .or(default)
            .map(|t| Instant::now() + t)
    }
}

/// Run `call` until it succeeds, fails for good, or runs out of tries
/// (`http::with_retries` without an overall deadline).
pub async fn with_retries<T, F, Fut>(mut call: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    http::with_retries(None, async || call().await).await
}
