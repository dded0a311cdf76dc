//! Rendering a model's own chat template (Jinja, as stored in the GGUF's
//! `tokenizer.chat_template`) the way Hugging Face `transformers` does:
//! `trim_blocks` and `lstrip_blocks` on, `raise_exception()` available,
//! Python string methods (`.strip()`, `.startswith()`...) understood.
//!
//! llama.cpp's own `llama_chat_apply_template` only pattern-matches known
//! templates and drops parts of them (SmolLM2's default system prompt, for
//! one), so the template is rendered here instead.

use minijinja::{Environment, ErrorKind, UndefinedBehavior, context};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Message<'a> {
    pub role: &'a str,
    pub content: &'a str,
}

/// The special-token texts the template may refer to.
#[derive(Debug, Clone, Default)]
pub struct SpecialTokens {
    pub bos: String,
    pub eos: String,
}

/// Why a model's chat template gave no prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the model's chat template does not parse: {0}")]
    Syntax(String),
    /// The template called `raise_exception`.
    #[error("the model's chat template refused the conversation: {0}")]
    Refused(String),
    #[error("the model's chat template failed: {0}")]
    Failed(String),
}

/// Render `template` for `messages`, ending with the assistant's turn
/// opener (`add_generation_prompt`).
pub fn render(
    template: &str,
    messages: &[Message<'_>],
    tokens: &SpecialTokens,
) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function(
        "raise_exception",
        |message: String| -> Result<String, minijinja::Error> {
            Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
        },
    );
    env.add_template("chat", template)
        .map_err(|error| TemplateError::Syntax(error.to_string()))?;
    let template = env.get_template("chat").expect("just added");
    template
        .render(context! {
            messages => messages,
            add_generation_prompt => true,
            bos_token => tokens.bos,
            eos_token => tokens.eos,
            tools => (),
            documents => (),
        })
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidOperation => {
                TemplateError::Refused(error.detail().unwrap_or("no reason given").to_owned())
            }
            _ => TemplateError::Failed(error.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    fn user(content: &str) -> Vec<Message<'_>> {
        vec![Message {
            role: "user",
            content,
        }]
    }

    #[test]
    fn smollm2_keeps_its_default_system_prompt() {
        let text = render(SMOLLM2, &user("Hi"), &SpecialTokens::default()).unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn blocks_are_trimmed_like_transformers() {
        // The indentation before `{% for %}` and `{% if %}` goes (lstrip_blocks), the
        // newline after each block tag goes (trim_blocks); text indentation stays.
        let template = "{{ bos_token }}\n  {% for m in messages %}\n  [{{ m.role }}] {{ m.content | trim }}\n  {% endfor %}\n    {% if add_generation_prompt %}>{% endif %}";
        let tokens = SpecialTokens {
            bos: "<s>".into(),
            eos: "</s>".into(),
        };
        let text = render(template, &user(" x "), &tokens).unwrap();
        assert_eq!(text, "<s>\n  [user] x\n>");
    }

    #[test]
    fn python_string_methods_work() {
        let template = "{% for m in messages %}{{ m.content.strip().upper() }}{% if m.content.startswith(' a') %}!{% endif %}{% endfor %}";
        assert_eq!(
            render(template, &user(" ab "), &SpecialTokens::default()).unwrap(),
            "AB!"
        );
    }

    #[test]
    fn raise_exception_becomes_a_clear_error() {
        let template = "{% if messages[0]['role'] != 'system' %}{{ raise_exception('System role required') }}{% endif %}";
        let error = render(template, &user("x"), &SpecialTokens::default()).unwrap_err();
        assert_eq!(error, TemplateError::Refused("System role required".into()));
        let error = render("{% for %}", &user("x"), &SpecialTokens::default()).unwrap_err();
        assert!(error.to_string().contains("does not parse"), "{error}");
    }

    #[test]
    fn tools_are_none_not_undefined() {
        let template = "{% if tools is not none %}tools{% else %}plain{% endif %}";
        assert_eq!(
            render(template, &user("x"), &SpecialTokens::default()).unwrap(),
            "plain"
        );
    }
}
