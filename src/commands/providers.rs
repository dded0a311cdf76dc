//! The shared shape of every `infer <capability> providers` listing: one
//! typed row (the status every capability reports, then its own keys) and
//! one wording for the text table.

use serde::Serialize;
use serde_json::Value;

/// One provider in a listing. `detail` carries the capability's own keys;
/// flattened, so the row stays one flat JSON object.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderRow<X: Serialize> {
    pub available: bool,
    pub configured: bool,
    pub selected: bool,
    #[serde(flatten)]
    pub detail: X,
}

impl<X: Serialize> ProviderRow<X> {
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a provider row serializes")
    }

    /// The state word of the text table, the same for every capability.
    pub fn state(&self) -> &'static str {
        if self.configured {
            "configured"
        } else if self.available {
            "available"
        } else {
            "not configured"
        }
    }

    /// One text line: the capability's cells (text, width), the state word,
    /// and the selected mark.
    pub fn line(&self, cells: &[(&str, usize)]) -> String {
        line(cells, self.state(), self.selected)
    }
}

/// One text line with an explicit state (a reason a provider cannot run).
pub fn line(cells: &[(&str, usize)], state: &str, selected: bool) -> String {
    let mut text = String::new();
    for (cell, width) in cells {
        text.push_str(&format!("{cell:<width$} "));
    }
    text.push_str(state);
    if selected {
        text.push_str("  (selected)");
    }
    text.push('\n');
    text
}

/// Width of the provider id column.
pub const ID: usize = 14;
/// Width of the model column.
pub const MODEL: usize = 28;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Extra {
        id: &'static str,
        default_model: Option<&'static str>,
    }

    #[test]
    fn row_is_flat_and_ordered() {
        let row = ProviderRow {
            available: true,
            configured: false,
            selected: true,
            detail: Extra {
                id: "x",
                default_model: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&row.to_value()).unwrap(),
            r#"{"available":true,"configured":false,"selected":true,"id":"x","defaultModel":null}"#
        );
        assert_eq!(
            row.line(&[("x", 3), ("m", 2)]),
            "x   m  available  (selected)\n"
        );
    }
}
