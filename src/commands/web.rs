//! `infer web ...`: search, fetch, providers.

use serde::Serialize;
use serde_json::json;

use super::providers::ProviderRow;
use super::{Failure, Report};
use crate::capabilities::web_fetch::{self, FETCH_PROVIDERS, FetchProvider, FetchRequest};
use crate::capabilities::web_search::{self, SEARCH_PROVIDERS};
use crate::cli::web::{WebFetchArgs, WebSearchArgs};
use crate::context::Context;
use crate::envelope::{Envelope, Transport};
use crate::error::{Error, Result};
use crate::output::Diagnostics;
use crate::web::config::{fetch_settings, plugin_settings, search_settings};

pub async fn search(
    ctx: &Context,
    diagnostics: &Diagnostics,
    args: WebSearchArgs,
) -> Result<Report, Failure> {
    let query = args.query.trim().to_owned();
    let web_search::Settings { selection, limit } =
        web_search::Settings::resolve(ctx, args.provider.as_deref(), args.limit)?;
    let provider = selection.provider.id;
    match web_search::run(ctx, &selection, &query, limit).await {
        Ok(outcome) => {
            if let Some(warning) = &outcome.warning {
                diagnostics.warn(warning);
            }
            let text = search_text(&outcome.result);
            let mut envelope = Envelope::success("web.search", Transport::Local);
            envelope.provider = Some(provider.to_owned());
            envelope.outputs = vec![json!({ "result": outcome.result })];
            Ok(Report::new(envelope, text))
        }
        Err(error) => {
            let mut envelope = Envelope::failure("web.search", Transport::Local, &error);
            envelope.provider = Some(provider.to_owned());
            Err(Failure {
                error,
                envelope: Some(envelope),
            })
        }
    }
}

fn search_text(result: &web_search::SearchResult) -> String {
    if result.results.is_empty() {
        return format!(
            "no results for \"{}\" ({})\n",
            result.query, result.provider
        );
    }
    let mut text = String::new();
    for (index, hit) in result.results.iter().enumerate() {
        text.push_str(&format!("{}. {}\n   {}\n", index + 1, hit.title, hit.url));
        if !hit.snippet.is_empty() {
            text.push_str(&format!("   {}\n", hit.snippet));
        }
    }
    text
}

pub async fn fetch(ctx: &Context, args: WebFetchArgs) -> Result<Report, Failure> {
    let url = args
        .url
        .as_deref()
        .ok_or_else(|| Error::usage("`--url` is required"))?;
    let url = web_fetch::parse_url(url)?;
    let provider = web_fetch::resolve_provider(ctx, args.provider.as_deref())?;
    let request = FetchRequest {
        url: &url,
        format: args.format,
        provider,
    };
    match web_fetch::fetch(ctx, &request).await {
        Ok(result) => {
            let text = format!("{}\n", result.text);
            let mut envelope = Envelope::success("web.fetch", Transport::Local);
            envelope.provider = Some(provider.id().to_owned());
            envelope.outputs = vec![json!({ "result": result })];
            Ok(Report::new(envelope, text))
        }
        Err(error) => {
            let mut envelope = Envelope::failure("web.fetch", Transport::Local, &error);
            envelope.provider = Some(provider.id().to_owned());
            Err(Failure {
                error,
                envelope: Some(envelope),
            })
        }
    }
}

/// Every search and fetch provider: whether this build has it, whether it
/// has what it needs, and whether a plain `web search` / `web fetch` would use it.
pub fn providers(ctx: &Context) -> Result<Report> {
    let config = ctx.config()?;
    let search = search_settings(config)?;
    let selected_search = web_search::select(config, &search, None)
        .map(|s| s.provider.id)
        .ok();
    let mut outputs = Vec::new();
    let (mut search_rows, mut fetch_rows) = (Vec::new(), Vec::new());
    let mut lines = String::new();
    for id in SEARCH_PROVIDERS.iter().copied() {
        let setup = web_search::setup(config, id)?;
        let configured = setup.configured();
        let selected = selected_search == Some(id);
        let row = ProviderRow {
            available: true,
            configured,
            selected,
            detail: WebProvider {
                id,
                env_vars: web_search::key_env(id).into_iter().collect(),
                provider: id,
                kind: "search",
                requires_key: setup.requires_key,
                key_source: setup.key_source.clone(),
            },
        };
        lines.push_str(&row.line(&[("search", 7), (id, 11)]));
        search_rows.push(row.to_value());
        outputs.push(row.to_value());
    }
    let fetch = fetch_settings(config)?;
    let selected_fetch = web_fetch::selected_provider(None, &fetch).ok();
    for id in FETCH_PROVIDERS.iter().copied() {
        let provider = FetchProvider::parse(id).expect("known fetch provider");
        // Built-in needs nothing; Firecrawl scrape also works keyless (starter tier).
        let (configured, key_source) = match provider {
            FetchProvider::Builtin => (true, None),
            FetchProvider::Firecrawl => {
                let plugin = plugin_settings(config, "firecrawl", "webFetch")?;
                let source = if plugin.api_key()?.is_some() {
                    Some("config".to_owned())
                } else {
                    crate::config::env::var(crate::config::env::FIRECRAWL_API_KEY)
                        .map(|_| "FIRECRAWL_API_KEY".to_owned())
                };
                (plugin.enabled != Some(false), source)
            }
        };
        let selected = selected_fetch == Some(provider);
        let row = ProviderRow {
            available: true,
            configured,
            selected,
            detail: WebProvider {
                id,
                env_vars: if id == "firecrawl" {
                    vec!["FIRECRAWL_API_KEY"]
                } else {
                    Vec::new()
                },
                provider: id,
                kind: "fetch",
                requires_key: false,
                key_source,
            },
        };
        lines.push_str(&row.line(&[("fetch", 7), (id, 11)]));
        fetch_rows.push(row.to_value());
        outputs.push(row.to_value());
    }
    let data = json!({"search": search_rows, "fetch": fetch_rows});
    let envelope = Envelope::success("web.providers", Transport::Local).with_outputs(outputs);
    Ok(Report::data(envelope, data, lines))
}

/// A search or fetch provider's own keys in `web providers`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebProvider<'a> {
    id: &'a str,
    env_vars: Vec<&'a str>,
    provider: &'a str,
    kind: &'static str,
    requires_key: bool,
    key_source: Option<String>,
}
