//! Firecrawl's API: `scrape`, a hosted fetch-and-extract for `web fetch`.

pub mod scrape;
