//! Why config text does not load, and where: the one error the tokenizer,
//! the loader and `config validate` share, so a position is never parsed
//! back out of a message.

use std::fmt;

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TextError {
    /// 1-based; 0 when the parser gave no position.
    pub line: usize,
    pub column: usize,
    /// The config path of the value at fault (`models.providers.x.api`), or
    /// empty for a syntax error.
    pub path: String,
    pub message: String,
}

impl TextError {
    pub fn at(line: usize, column: usize, message: impl Into<String>) -> TextError {
        TextError {
            line,
            column,
            path: String::new(),
            message: message.into(),
        }
    }
}

/// `line:column: [at `path`: ]message`, or `?:?:` without a position.
impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "?:?: ")?,
            line => write!(f, "{line}:{}: ", self.column)?,
        }
        if !self.path.is_empty() {
            write!(f, "at `{}`: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl From<TextError> for Error {
    fn from(error: TextError) -> Error {
        Error::config(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_path_and_message() {
        let mut error = TextError::at(3, 7, "expected a string");
        assert_eq!(error.to_string(), "3:7: expected a string");
        error.path = "models.mode".into();
        assert_eq!(
            error.to_string(),
            "3:7: at `models.mode`: expected a string"
        );
        assert_eq!(TextError::at(0, 0, "x").to_string(), "?:?: x");
    }
}
