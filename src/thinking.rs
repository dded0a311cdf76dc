//! `--thinking` levels and their aliases. Each protocol maps a level onto
//! its own knob (reasoning effort, thinking budget, thinkingConfig).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThinkingLevel {
    Off,
    Minimal,
    Low,
    Medium,
    High,
    Adaptive,
    Xhigh,
    Max,
}

impl ThinkingLevel {
    pub const NAMES: &'static str = "off, minimal, low, medium, high, adaptive, xhigh, max";

    pub fn as_str(self) -> &'static str {
        match self {
            ThinkingLevel::Off => "off",
            ThinkingLevel::Minimal => "minimal",
            ThinkingLevel::Low => "low",
            ThinkingLevel::Medium => "medium",
            ThinkingLevel::High => "high",
            ThinkingLevel::Adaptive => "adaptive",
            ThinkingLevel::Xhigh => "xhigh",
            ThinkingLevel::Max => "max",
        }
    }

    /// The nearest OpenAI-style `reasoning_effort` value, `None` for off.
    /// `adaptive` lets the model decide, which these APIs express as medium.
    pub fn reasoning_effort(self) -> Option<&'static str> {
        match self {
            ThinkingLevel::Off => None,
            ThinkingLevel::Minimal => Some("minimal"),
            ThinkingLevel::Low => Some("low"),
            ThinkingLevel::Medium | ThinkingLevel::Adaptive => Some("medium"),
            ThinkingLevel::High => Some("high"),
            ThinkingLevel::Xhigh | ThinkingLevel::Max => Some("xhigh"),
        }
    }

    /// A token budget for APIs that take one (Anthropic, Gemini 2.5).
    pub fn budget_tokens(self) -> Option<u32> {
        match self {
            ThinkingLevel::Off => None,
            ThinkingLevel::Minimal => Some(1024),
            ThinkingLevel::Low => Some(2048),
            ThinkingLevel::Medium | ThinkingLevel::Adaptive => Some(8192),
            ThinkingLevel::High => Some(16384),
            ThinkingLevel::Xhigh => Some(24576),
            ThinkingLevel::Max => Some(32768),
        }
    }
}

impl FromStr for ThinkingLevel {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let level = match value.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => ThinkingLevel::Off,
            "minimal" | "think" => ThinkingLevel::Minimal,
            "low" | "on" => ThinkingLevel::Low,
            "medium" => ThinkingLevel::Medium,
            "high" | "highest" => ThinkingLevel::High,
            "adaptive" | "auto" => ThinkingLevel::Adaptive,
            "xhigh" | "x-high" | "extra-high" => ThinkingLevel::Xhigh,
            "max" | "maximum" => ThinkingLevel::Max,
            other => {
                return Err(format!(
                    "unknown thinking level `{other}` (expected one of: {})",
                    ThinkingLevel::NAMES
                ));
            }
        };
        Ok(level)
    }
}

impl fmt::Display for ThinkingLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_to_levels() {
        let cases = [
            ("on", ThinkingLevel::Low),
            ("think", ThinkingLevel::Minimal),
            ("x-high", ThinkingLevel::Xhigh),
            ("extra-high", ThinkingLevel::Xhigh),
            ("highest", ThinkingLevel::High),
            ("maximum", ThinkingLevel::Max),
            ("auto", ThinkingLevel::Adaptive),
            ("HIGH", ThinkingLevel::High),
        ];
        for (text, level) in cases {
            assert_eq!(text.parse::<ThinkingLevel>().unwrap(), level, "{text}");
        }
    }

    #[test]
    fn unknown_level_names_the_choices() {
        let error = "extreme".parse::<ThinkingLevel>().unwrap_err();
        assert!(error.contains("extreme") && error.contains("adaptive"));
    }
}
