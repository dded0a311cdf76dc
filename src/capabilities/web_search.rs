//! `web.search`: pick a search provider (flag, config, first configured,
//! else DuckDuckGo), send the query, and return normalised hits plus the
//! provider's raw payload.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::auth::Secret;
use crate::config::{Config, env};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::protocols::search::{self, Hit, SearchEndpoint};
use crate::web::ExternalContent;
use crate::web::config::{PluginSettings, SearchSettings, plugin_settings, search_settings};

pub const DEFAULT_LIMIT: u64 = 5;
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 30.0;

/// Search providers in auto-detection order (API-backed first, then
/// self-hosted SearXNG; DuckDuckGo only when nothing else is configured).
/// Ollama's is used only when chosen: it needs a signed-in Ollama host,
/// which a configured Ollama chat provider does not promise.
pub const SEARCH_PROVIDERS: &[&str] = &[
    "brave",
    "perplexity",
    "exa",
    "tavily",
    "searxng",
    "ollama",
    "duckduckgo",
];

/// Providers auto-detection never picks.
const CHOSEN_ONLY: &[&str] = &["ollama", "duckduckgo"];

/// What one provider needs and what it has.
pub struct ProviderSetup {
    pub id: &'static str,
    pub settings: PluginSettings,
    pub api_key: Option<Secret>,
    /// Where the key came from: `config` or the env var name.
    pub key_source: Option<String>,
    pub base_url: Option<String>,
    pub requires_key: bool,
}

impl ProviderSetup {
    /// Has what it needs to send a request.
    pub fn configured(&self) -> bool {
        if self.settings.enabled == Some(false) {
            return false;
        }
        match self.id {
            "searxng" => self.base_url.is_some(),
            // A local host by default; the cloud with `OLLAMA_API_KEY`.
            "duckduckgo" | "ollama" => true,
            _ => self.api_key.is_some(),
        }
    }

    fn missing_hint(&self) -> String {
        match self.id {
            "searxng" => {
                "set `SEARXNG_BASE_URL` or `plugins.entries.searxng.config.webSearch.baseUrl`"
                    .to_owned()
            }
            id => format!(
                "set `{}` or `plugins.entries.{id}.config.webSearch.apiKey`",
                key_env(id).unwrap_or("the API key")
            ),
        }
    }
}

pub fn key_env(id: &str) -> Option<&'static str> {
    match id {
        "brave" => Some(env::BRAVE_API_KEY),
        "perplexity" => Some(env::PERPLEXITY_API_KEY),
        "exa" => Some(env::EXA_API_KEY),
        "tavily" => Some(env::TAVILY_API_KEY),
        _ => None,
    }
}

fn canonical(id: &str) -> Option<&'static str> {
    let id = id.trim().to_ascii_lowercase();
    let id = match id.as_str() {
        "searx" => "searxng",
        "ddg" => "duckduckgo",
        other => other,
    };
    SEARCH_PROVIDERS.iter().copied().find(|known| *known == id)
}

/// Config first, then the environment (the reference tool's order).
pub fn setup(config: &Config, id: &'static str) -> Result<ProviderSetup> {
    let settings = plugin_settings(config, id, "webSearch")?;
    if id == "ollama" {
        return ollama_setup(config, settings);
    }
    let (api_key, key_source) = match (settings.api_key()?, key_env(id)) {
        (Some(key), _) => (Some(Secret::new(key)), Some("config".to_owned())),
        (None, Some(var)) => match env::var(var) {
            Some(key) => (Some(Secret::new(key)), Some(var.to_owned())),
            None => (None, None),
        },
        (None, None) => (None, None),
    };
    let base_url = settings.base_url().or_else(|| match id {
        "searxng" => env::var(env::SEARXNG_BASE_URL),
        "tavily" => env::var(env::TAVILY_BASE_URL),
        _ => None,
    });
    if let Some(url) = &base_url {
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        // Exa accepts bare hosts; everyone else needs a full http(s) URL.
        if parsed.is_none() && id != "exa" {
            return Err(Error::config(format!(
                "{}.baseUrl: `{url}` is not an http(s) URL",
                settings.path
            )));
        }
    }
    Ok(ProviderSetup {
        id,
        requires_key: key_env(id).is_some(),
        settings,
        api_key,
        key_source,
        base_url,
    })
}

/// Ollama's search goes to the Ollama host: the plugin's `baseUrl`, else
/// `models.providers.ollama.baseUrl` (without its `/v1`), else the local
/// default; with `models.providers.ollama.apiKey` when one is set.
fn ollama_setup(config: &Config, settings: PluginSettings) -> Result<ProviderSetup> {
    let provider = config.models.providers.get("ollama");
    let base_url = settings
        .base_url()
        .or_else(|| {
            provider
                .and_then(|p| p.base_url.as_ref())
                .map(|url| url.0.trim().to_owned())
                .filter(|url| !url.is_empty())
        })
        .map(|url| {
            let url = url.trim_end_matches('/');
            url.strip_suffix("/v1").unwrap_or(url).to_owned()
        });
    if let Some(url) = &base_url {
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(Error::config(format!(
                "{}.baseUrl: `{url}` is not an http(s) URL",
                settings.path
            )));
        }
    }
    let api_key = provider
        .and_then(|p| p.api_key.as_ref())
        .map(|key| key.0.trim().to_owned())
        .filter(|key| !key.is_empty())
        .map(Secret::new);
    Ok(ProviderSetup {
        id: "ollama",
        key_source: api_key.as_ref().map(|_| "config".to_owned()),
        settings,
        api_key,
        base_url,
        requires_key: false,
    })
}

/// What one `web search` uses: the provider and the result count, from
/// the flags and `tools.web.search`.
pub struct Settings {
    pub selection: Selection,
    pub limit: usize,
}

impl Settings {
    pub fn resolve(ctx: &Context, provider: Option<&str>, limit: Option<u64>) -> Result<Settings> {
        let config = ctx.config()?;
        let settings = search_settings(config)?;
        if settings.enabled == Some(false) {
            return Err(Error::config(
                "web search is turned off by `tools.web.search.enabled: false`",
            ));
        }
        let limit = self::limit(limit, &settings)?;
        Ok(Settings {
            selection: select(config, &settings, provider)?,
            limit,
        })
    }
}

pub struct Selection {
    pub provider: ProviderSetup,
}

/// `--provider`, else `tools.web.search.provider`, else the first
/// configured provider, else DuckDuckGo. An explicit choice that is not
/// configured is an error, never a silent switch.
pub fn select(config: &Config, settings: &SearchSettings, flag: Option<&str>) -> Result<Selection> {
    let explicit = match flag {
        Some(flag) => Some(canonical(flag).ok_or_else(|| {
            Error::usage(format!(
                "`--provider {flag}`: unknown search provider (known: {})",
                SEARCH_PROVIDERS.join(", ")
            ))
        })?),
        None => match settings
            .provider
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            Some(id) => Some(canonical(id).ok_or_else(|| {
                Error::config(format!(
                    "tools.web.search.provider: unknown search provider `{id}` (known: {})",
                    SEARCH_PROVIDERS.join(", ")
                ))
            })?),
            None => None,
        },
    };
    if let Some(id) = explicit {
        let provider = setup(config, id)?;
        if !provider.configured() {
            let why = if provider.settings.enabled == Some(false) {
                format!("is disabled by `plugins.entries.{id}.enabled: false`")
            } else if id == "searxng" {
                "needs a base URL".to_owned()
            } else {
                "needs an API key".to_owned()
            };
            return Err(Error::config(format!("search provider `{id}` {why}"))
                .with_hint(provider.missing_hint()));
        }
        return Ok(Selection { provider });
    }
    for id in SEARCH_PROVIDERS
        .iter()
        .copied()
        .filter(|id| !CHOSEN_ONLY.contains(id))
    {
        let provider = setup(config, id)?;
        if provider.configured() {
            return Ok(Selection { provider });
        }
    }
    Ok(Selection {
        provider: setup(config, "duckduckgo")?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    pub provider: &'static str,
    pub query: String,
    pub count: usize,
    pub results: Vec<Hit>,
    pub took_ms: u64,
    pub external_content: ExternalContent,
    pub raw: Value,
}

pub struct SearchOutcome {
    pub result: SearchResult,
    /// Something worth telling on stderr (e.g. engines searx could not use).
    pub warning: Option<String>,
}

pub fn limit(flag: Option<u64>, settings: &SearchSettings) -> Result<usize> {
    match (flag, settings.max_results) {
        (Some(n), _) => Ok(n as usize),
        (None, Some(0)) => Err(Error::config(
            "tools.web.search.maxResults: must be a positive number",
        )),
        (None, Some(n)) => Ok(n as usize),
        (None, None) => Ok(DEFAULT_LIMIT as usize),
    }
}

pub async fn run(
    ctx: &Context,
    selection: &Selection,
    query: &str,
    limit: usize,
) -> Result<SearchOutcome> {
    let settings = search_settings(ctx.config()?)?;
    let timeout = match settings.timeout_seconds {
        Some(s) if !(s > 0.0 && s.is_finite()) => {
            return Err(Error::config(
                "tools.web.search.timeoutSeconds: must be a positive number",
            ));
        }
        Some(s) => {
            crate::config::bounds::seconds(s, Duration::from_secs_f64(DEFAULT_TIMEOUT_SECONDS))
        }
        None => Duration::from_secs_f64(DEFAULT_TIMEOUT_SECONDS),
    };
    let provider = &selection.provider;
    let default_base = match provider.id {
        "brave" => search::brave::DEFAULT_BASE_URL,
        "perplexity" => search::perplexity::DEFAULT_BASE_URL,
        "exa" => search::exa::DEFAULT_BASE_URL,
        "tavily" => search::tavily::DEFAULT_BASE_URL,
        "duckduckgo" => search::duckduckgo::DEFAULT_BASE_URL,
        "ollama" => search::ollama::DEFAULT_BASE_URL,
        _ => "",
    };
    let base_url = provider
        .base_url
        .clone()
        .unwrap_or_else(|| default_base.to_owned());
    let endpoint = SearchEndpoint {
        client: ctx.client()?,
        base_url: &base_url,
        api_key: provider.api_key.as_ref(),
        timeout,
    };
    let started = Instant::now();
    let answer = match provider.id {
        "brave" => search::brave::search(&endpoint, query, limit).await,
        "perplexity" => search::perplexity::search(&endpoint, query, limit).await,
        "exa" => search::exa::search(&endpoint, query, limit).await,
        "tavily" => search::tavily::search(&endpoint, query, limit).await,
        "ollama" => {
            let cloud_key = env::var(env::OLLAMA_API_KEY).map(Secret::new);
            search::ollama::search(&endpoint, query, limit, cloud_key.as_ref()).await
        }
        "searxng" => {
            let categories = provider.settings.string("categories")?;
            let language = provider.settings.string("language")?;
            let options = search::searxng::Options {
                categories: categories.as_deref(),
                language: language.as_deref(),
            };
            search::searxng::search(&endpoint, query, limit, &options).await
        }
        _ => {
            let region = provider.settings.string("region")?;
            let safe_search = provider.settings.string("safeSearch")?;
            let options = search::duckduckgo::Options {
                region: region.as_deref(),
                safe_search: safe_search.as_deref(),
            };
            search::duckduckgo::search(&endpoint, query, limit, &options).await
        }
    }
    .map_err(|error| error.context(format!("{} search", provider.id)))?;
    let warning = if provider.id == "searxng" && answer.hits.is_empty() {
        let engines = search::searxng::unresponsive(&answer.raw);
        (!engines.is_empty())
            .then(|| format!("searx could not use some engines: {}", engines.join(", ")))
    } else {
        None
    };
    Ok(SearchOutcome {
        result: SearchResult {
            provider: provider.id,
            query: query.to_owned(),
            count: answer.hits.len(),
            results: answer.hits,
            took_ms: started.elapsed().as_millis() as u64,
            external_content: ExternalContent {
                untrusted: true,
                source: "web_search",
                wrapped: false,
                provider: provider.id,
            },
            raw: answer.raw,
        },
        warning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        crate::config::parse(text).unwrap()
    }

    #[test]
    fn explicit_choice_wins_and_must_be_configured() {
        let config = config(
            r#"{ plugins: { entries: { searxng: { config: { webSearch: { baseUrl: "http://127.0.0.1:1" } } } } } }"#,
        );
        let settings = SearchSettings::default();
        assert_eq!(
            select(&config, &settings, None).unwrap().provider.id,
            "searxng"
        );
        assert_eq!(
            select(&config, &settings, Some("duckduckgo"))
                .unwrap()
                .provider
                .id,
            "duckduckgo"
        );
        let error = select(&config, &settings, Some("brave")).err().unwrap();
        assert_eq!(error.exit_code(), 2);
        assert!(error.hints()[0].contains("BRAVE_API_KEY"));
        assert_eq!(
            select(&config, &settings, Some("altavista"))
                .err()
                .unwrap()
                .exit_code(),
            2
        );
    }

    #[test]
    fn nothing_configured_means_duckduckgo() {
        let selection = select(&Config::default(), &SearchSettings::default(), None).unwrap();
        assert_eq!(selection.provider.id, "duckduckgo");
    }

    #[test]
    fn config_provider_and_first_configured_order() {
        let config = config(
            r#"{ plugins: { entries: {
                 tavily: { config: { webSearch: { apiKey: "t" } } },
                 exa: { config: { webSearch: { apiKey: "e" } } } } } }"#,
        );
        assert_eq!(
            select(&config, &SearchSettings::default(), None)
                .unwrap()
                .provider
                .id,
            "exa"
        );
        let settings = SearchSettings {
            provider: Some("tavily".into()),
            ..Default::default()
        };
        assert_eq!(
            select(&config, &settings, None).unwrap().provider.id,
            "tavily"
        );
        let settings = SearchSettings {
            provider: Some("brvae".into()),
            ..Default::default()
        };
        assert!(
            select(&config, &settings, None)
                .err()
                .unwrap()
                .message()
                .starts_with("tools.web.search.provider")
        );
    }

    #[test]
    fn bad_base_urls_are_config_errors() {
        let config = config(
            r#"{ plugins: { entries: { searxng: { config: { webSearch: { baseUrl: "localhost:8888" } } } } } }"#,
        );
        assert_eq!(setup(&config, "searxng").err().unwrap().exit_code(), 2);
    }
}
