//! Which proxy a request goes through. One function decides, and both the
//! HTTP client and `openclaw doctor` call it, so what doctor shows is what
//! happens.
//!
//! Environment: `HTTPS_PROXY` / `HTTP_PROXY` by scheme, then `ALL_PROXY`
//! (lower-case names win, as in curl), schemes http, https, socks5, socks5h.
//! `NO_PROXY`: `*`, host names (`example.com` also matches its subdomains,
//! `.example.com` only them), IP addresses and CIDR blocks, optional `:port`.

use std::net::IpAddr;

use reqwest::Url;

use crate::config::env;

#[derive(Debug, Clone, Default)]
pub struct ProxyRules {
    http: Option<Url>,
    https: Option<Url>,
    all: Option<Url>,
    bypass: Vec<Bypass>,
    /// A provider's own `proxy` setting: used for every URL.
    fixed: Option<Url>,
}

#[derive(Debug, Clone, PartialEq)]
enum Bypass {
    Everything,
    Domain {
        name: String,
        subdomains_only: bool,
        port: Option<u16>,
    },
    Address {
        network: IpAddr,
        prefix: u8,
        port: Option<u16>,
    },
}

/// Where a request to a URL goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Direct,
    /// Through this proxy; `source` names the setting that chose it.
    Proxy {
        url: Url,
        source: &'static str,
    },
}

impl Route {
    pub fn describe(&self) -> String {
        match self {
            Route::Direct => "direct".to_owned(),
            Route::Proxy { url, source } => {
                format!("proxy {} ({source})", crate::http::redact_url(url.as_str()))
            }
        }
    }
}

fn first_var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| env::var(name))
        .filter(|value| !value.trim().is_empty())
}

fn parse_proxy_url(value: &str) -> Option<Url> {
    let value = value.trim();
    // `host:port` without a scheme means an HTTP proxy, as curl reads it.
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    Url::parse(&with_scheme).ok()
}

impl ProxyRules {
    pub fn from_env() -> ProxyRules {
        ProxyRules {
            http: first_var(&["http_proxy", "HTTP_PROXY"]).and_then(|v| parse_proxy_url(&v)),
            https: first_var(&["https_proxy", "HTTPS_PROXY"]).and_then(|v| parse_proxy_url(&v)),
            all: first_var(&["all_proxy", "ALL_PROXY"]).and_then(|v| parse_proxy_url(&v)),
            bypass: first_var(&["no_proxy", "NO_PROXY"])
                .map(|v| parse_bypass(&v))
                .unwrap_or_default(),
            fixed: None,
        }
    }

    /// A provider's `proxy` setting replaces the environment's choice.
    pub fn fixed(proxy: &str) -> Option<ProxyRules> {
        parse_proxy_url(proxy).map(|url| ProxyRules {
            fixed: Some(url),
            ..ProxyRules::default()
        })
    }

    pub fn route(&self, url: &Url) -> Route {
        if let Some(fixed) = &self.fixed {
            return Route::Proxy {
                url: fixed.clone(),
                source: "provider proxy",
            };
        }
        if self.bypasses(url) {
            return Route::Direct;
        }
        let by_scheme = match url.scheme() {
            "https" => self.https.as_ref().map(|u| (u, "HTTPS_PROXY")),
            "http" => self.http.as_ref().map(|u| (u, "HTTP_PROXY")),
            _ => None,
        };
        match by_scheme.or(self.all.as_ref().map(|u| (u, "ALL_PROXY"))) {
            Some((proxy, source)) => Route::Proxy {
                url: proxy.clone(),
                source,
            },
            None => Route::Direct,
        }
    }

    fn bypasses(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = url.port_or_known_default();
        let address: Option<IpAddr> = host.parse().ok();
        self.bypass.iter().any(|rule| match rule {
            Bypass::Everything => true,
            Bypass::Domain {
                name,
                subdomains_only,
                port: rule_port,
            } => {
                let port_ok = rule_port.is_none() || *rule_port == port;
                let name_ok = host.strip_suffix(name.as_str()).is_some_and(|rest| {
                    (rest.is_empty() && !subdomains_only) || rest.ends_with('.')
                });
                port_ok && name_ok
            }
            Bypass::Address {
                network,
                prefix,
                port: rule_port,
            } => {
                let port_ok = rule_port.is_none() || *rule_port == port;
                port_ok && address.is_some_and(|address| in_network(address, *network, *prefix))
            }
        })
    }
}

fn parse_bypass(value: &str) -> Vec<Bypass> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            if entry == "*" {
                return Some(Bypass::Everything);
            }
            if let Some((address, prefix)) = entry.split_once('/') {
                let network: IpAddr = address.trim_matches(['[', ']']).parse().ok()?;
                let prefix: u8 = prefix.parse().ok()?;
                let max = if network.is_ipv4() { 32 } else { 128 };
                return (prefix <= max).then_some(Bypass::Address {
                    network,
                    prefix,
                    port: None,
                });
            }
            let (host, port) = split_port(entry);
            if let Ok(address) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                let prefix = if address.is_ipv4() { 32 } else { 128 };
                return Some(Bypass::Address {
                    network: address,
                    prefix,
                    port,
                });
            }
            let host = host.to_ascii_lowercase();
            let subdomains_only = host.starts_with('.');
            let name = host
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .to_owned();
            let subdomains_only = subdomains_only || host.starts_with("*.");
            Some(Bypass::Domain {
                name,
                subdomains_only,
                port,
            })
        })
        .collect()
}

/// `host:port` -> (host, Some(port)); bare IPv6 addresses keep their colons.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if entry.starts_with('[') {
        if let Some((host, rest)) = entry.split_once(']') {
            return (
                &host[1..],
                rest.strip_prefix(':').and_then(|p| p.parse().ok()),
            );
        }
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

fn in_network(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|a| in_network(IpAddr::V4(a), network, prefix)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(no_proxy: &str) -> ProxyRules {
        ProxyRules {
            https: parse_proxy_url("http://proxy.corp:3128"),
            http: None,
            all: parse_proxy_url("socks5h://socks.corp:1080"),
            bypass: parse_bypass(no_proxy),
            fixed: None,
        }
    }

    fn route(rules: &ProxyRules, url: &str) -> String {
        rules.route(&Url::parse(url).unwrap()).describe()
    }

    #[test]
    fn scheme_picks_the_proxy_and_all_proxy_is_the_fallback() {
        let rules = rules("");
        assert_eq!(
            route(&rules, "https://api.openai.com/v1"),
            "proxy http://proxy.corp:3128/ (HTTPS_PROXY)"
        );
        assert_eq!(
            route(&rules, "http://api.example/v1"),
            "proxy socks5h://socks.corp:1080 (ALL_PROXY)"
        );
    }

    #[test]
    fn no_proxy_hosts_suffixes_cidrs_and_loopback() {
        let rules =
            rules("internal.corp, .svc.local, 10.0.0.0/8, 127.0.0.1, ::1, localhost, api.x:8443");
        let direct = |url: &str| route(&rules, url) == "direct";
        assert!(direct("https://internal.corp/v1"));
        assert!(
            direct("https://llm.internal.corp/v1"),
            "a domain also matches its subdomains"
        );
        assert!(!direct("https://notinternal.corp/v1"));
        assert!(direct("https://a.svc.local/"));
        assert!(
            !direct("https://svc.local/"),
            "a leading dot means subdomains only"
        );
        assert!(direct("http://10.2.3.4:8080/v1"));
        assert!(!direct("http://11.2.3.4:8080/v1"));
        assert!(direct("http://127.0.0.1:8080/v1"));
        assert!(direct("http://[::1]:8080/v1"));
        assert!(direct("http://localhost:11434/"));
        assert!(direct("https://api.x:8443/"));
        assert!(!direct("https://api.x/"), "the port must match when given");
    }

    #[test]
    fn star_bypasses_everything_and_fixed_wins() {
        assert_eq!(route(&rules("*"), "https://api.openai.com/"), "direct");
        let fixed = ProxyRules::fixed("http://p:1").unwrap();
        assert_eq!(
            route(&fixed, "https://api.openai.com/"),
            "proxy http://p:1/ (provider proxy)"
        );
    }

    #[test]
    fn proxy_without_scheme_is_http() {
        assert_eq!(
            parse_proxy_url("proxy:3128").unwrap().as_str(),
            "http://proxy:3128/"
        );
    }
}
