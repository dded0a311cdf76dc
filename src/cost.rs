//! What a run cost, from the token counts the provider reported and the
//! model's prices (catalog or config, per million tokens).

use serde::Serialize;

use crate::envelope::Usage;
use crate::registry::Model;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageCost {
    pub input: f64,
    pub output: f64,
    pub total: f64,
    pub currency: &'static str,
    /// Where the prices came from: `catalog` or `config`.
    pub source: &'static str,
}

/// `None` when the model has no prices or the provider reported no tokens.
pub fn of(usage: &Usage, model: &Model) -> Option<UsageCost> {
    let prices = model.cost?;
    if usage.input_tokens.is_none() && usage.output_tokens.is_none() {
        return None;
    }
    let per_token = |tokens: u64, per_million: f64| tokens as f64 * per_million / 1_000_000.0;
    let prompt = usage.input_tokens.unwrap_or(0);
    // Cached prompt tokens are billed at the cache-read price where one exists.
    let cached = usage.cached_tokens.unwrap_or(0).min(prompt);
    let input = per_token(prompt - cached, prices.input)
        + per_token(cached, prices.cache_read.unwrap_or(prices.input));
    let output = per_token(usage.output_tokens.unwrap_or(0), prices.output);
    Some(UsageCost {
        input: round(input),
        output: round(output),
        total: round(input + output),
        currency: "USD",
        source: model.cost_source,
    })
}

/// Twelve decimals: beyond any real price, short of float noise.
fn round(value: f64) -> f64 {
    (value * 1e12).round() / 1e12
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Cost, ModelKind};

    #[test]
    fn cached_tokens_use_the_cache_price() {
        let mut model = Model::unlisted("p", "m", ModelKind::Chat);
        model.cost = Some(Cost {
            input: 2.0,
            output: 8.0,
            cache_read: Some(0.5),
            cache_write: None,
        });
        model.cost_source = "catalog";
        let usage = Usage {
            input_tokens: Some(1_000_000),
            output_tokens: Some(500_000),
            cached_tokens: Some(400_000),
            ..Usage::default()
        };
        let cost = of(&usage, &model).unwrap();
        assert_eq!(cost.input, 0.6 * 2.0 + 0.4 * 0.5);
        assert_eq!(cost.output, 4.0);
        assert_eq!(cost.total, 5.4);
        assert_eq!(cost.source, "catalog");
    }

    #[test]
    fn no_prices_no_cost() {
        let model = Model::unlisted("p", "m", ModelKind::Chat);
        let usage = Usage {
            input_tokens: Some(1),
            ..Usage::default()
        };
        assert!(of(&usage, &model).is_none());
    }
}
