//! Capability metadata (`infer list` / `infer inspect`) and one executor
//! module per capability. Executors return data and never print.

pub mod audio;
pub mod deadline;
pub mod embedding;
pub mod fallback;
pub mod image_describe;
pub mod image_generate;
pub mod media_models;
pub mod model_run;
pub mod provider_call;
pub mod structured;
pub mod tts;
pub mod video;
pub mod web_fetch;
pub mod web_search;

use serde::Serialize;

use crate::envelope::Transport;

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capability {
    pub id: &'static str,
    pub description: &'static str,
    pub transports: &'static [Transport],
    /// The shape of one entry of `outputs`.
    pub result: &'static str,
    /// False while the executor is still to be written.
    pub available: bool,
}

const LOCAL: &[Transport] = &[Transport::Local];
const BOTH: &[Transport] = &[Transport::Local, Transport::Gateway];

const fn capability(
    id: &'static str,
    transports: &'static [Transport],
    description: &'static str,
    result: &'static str,
    available: bool,
) -> Capability {
    Capability {
        id,
        description,
        transports,
        result,
        available,
    }
}

/// Every leaf of `openclaw infer`, in command-tree order.
pub const CAPABILITIES: &[Capability] = &[
    capability(
        "model.run",
        BOTH,
        "Run one prompt (with optional images) through a text model",
        "{text}",
        true,
    ),
    capability(
        "model.list",
        LOCAL,
        "List catalog and configured models",
        "{id, name, provider, contextWindow, maxTokens, reasoning, input, cost}",
        true,
    ),
    capability(
        "model.inspect",
        LOCAL,
        "Show one model's catalog row",
        "{id, name, provider, contextWindow, maxTokens, reasoning, input, cost}",
        true,
    ),
    capability(
        "model.providers",
        LOCAL,
        "Summarise providers: model count, defaults, credentials",
        "{provider, count, defaults, available, configured, selected}",
        true,
    ),
    capability(
        "model.auth.login",
        LOCAL,
        "Save an API key profile for a provider",
        "{provider, profile, path}",
        true,
    ),
    capability(
        "model.auth.logout",
        LOCAL,
        "Remove a provider's saved key profiles",
        "{provider, removed}",
        true,
    ),
    capability(
        "model.auth.status",
        LOCAL,
        "Show where each provider's credential comes from",
        "{provider, source, envVars}",
        true,
    ),
    capability(
        "image.generate",
        LOCAL,
        "Generate images from a prompt",
        "{path, mimeType, size, width, height, revisedPrompt?}",
        true,
    ),
    capability(
        "image.edit",
        LOCAL,
        "Edit images with a prompt",
        "{path, mimeType, size, width, height, revisedPrompt?}",
        true,
    ),
    capability(
        "image.describe",
        LOCAL,
        "Describe an image file or URL",
        "{path, text, provider, model, kind}",
        true,
    ),
    capability(
        "image.describe-many",
        LOCAL,
        "Describe several images independently",
        "{path, text, provider, model, kind}",
        true,
    ),
    capability(
        "image.providers",
        LOCAL,
        "Image generation and edit providers",
        "{provider, generate, edit, configured}",
        true,
    ),
    capability(
        "audio.transcribe",
        LOCAL,
        "Transcribe an audio file",
        "{path, text, kind}",
        true,
    ),
    capability(
        "audio.providers",
        LOCAL,
        "Transcription providers",
        "{provider, configured}",
        true,
    ),
    capability(
        "tts.convert",
        BOTH,
        "Synthesize speech to an audio file",
        "{path, format, mimeType, size, voiceCompatible}",
        true,
    ),
    capability(
        "tts.voices",
        LOCAL,
        "List a provider's voices",
        "{id, name}",
        true,
    ),
    capability(
        "tts.providers",
        BOTH,
        "Speech providers",
        "{provider, configured, selected}",
        true,
    ),
    capability(
        "tts.personas",
        LOCAL,
        "List speaking personas",
        "{id, label, description, provider, voice, model, active}",
        true,
    ),
    capability(
        "tts.status",
        BOTH,
        "Whether speech is enabled and which provider is active",
        "{enabled, provider}",
        true,
    ),
    capability("tts.enable", BOTH, "Turn speech on", "{enabled}", true),
    capability("tts.disable", BOTH, "Turn speech off", "{enabled}", true),
    capability(
        "tts.set-provider",
        BOTH,
        "Choose the active speech provider",
        "{provider}",
        true,
    ),
    capability(
        "tts.set-persona",
        LOCAL,
        "Choose the active persona",
        "{persona}",
        true,
    ),
    capability(
        "video.generate",
        LOCAL,
        "Generate a video (long-running job)",
        "{path, mimeType, size}",
        true,
    ),
    capability(
        "video.describe",
        LOCAL,
        "Describe a video file",
        "{path, text, kind}",
        true,
    ),
    capability(
        "video.providers",
        LOCAL,
        "Video providers",
        "{provider, configured}",
        true,
    ),
    capability(
        "web.search",
        LOCAL,
        "Search the web",
        "{result: {provider, query, count, results: [{title, url, snippet}], raw}}",
        true,
    ),
    capability(
        "web.fetch",
        LOCAL,
        "Fetch a page and extract readable text",
        "{result: {url, finalUrl, status, contentType, title, extractMode, extractor, text, truncated, length, fetchedAt, tookMs}}",
        true,
    ),
    capability(
        "web.providers",
        LOCAL,
        "Search and fetch providers",
        "{provider, kind, available, configured, selected}",
        true,
    ),
    capability(
        "embedding.create",
        LOCAL,
        "Create one vector per text",
        "{text, embedding, dimensions}",
        true,
    ),
    capability(
        "embedding.providers",
        LOCAL,
        "Embedding providers",
        "{provider, defaultModel, configured}",
        true,
    ),
];

pub fn find(id: &str) -> Option<&'static Capability> {
    CAPABILITIES.iter().find(|capability| capability.id == id)
}

/// The clap path of a capability: `image.describe-many` -> image describe-many.
pub fn command_path(id: &str) -> impl Iterator<Item = &str> {
    id.split('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::CommandFactory;

    /// The metadata table and the clap tree list the same leaves.
    #[test]
    fn every_capability_is_a_command_and_back() {
        let root = Cli::command();
        let infer = root.find_subcommand("infer").unwrap();
        for capability in CAPABILITIES {
            let mut command = infer;
            for part in command_path(capability.id) {
                command = command
                    .find_subcommand(part)
                    .unwrap_or_else(|| panic!("{} has no command `{part}`", capability.id));
            }
            assert!(
                !command.has_subcommands(),
                "{} is not a leaf",
                capability.id
            );
        }
        fn leaves(command: &clap::Command, prefix: String, out: &mut Vec<String>) {
            for sub in command.get_subcommands() {
                let id = if prefix.is_empty() {
                    sub.get_name().to_owned()
                } else {
                    format!("{prefix}.{}", sub.get_name())
                };
                if sub.has_subcommands() {
                    leaves(sub, id, out);
                } else {
                    out.push(id);
                }
            }
        }
        let mut all = Vec::new();
        leaves(infer, String::new(), &mut all);
        // `list`/`inspect` describe the tree; `batch ...` manages provider
        // batch jobs (`--via provider-batch`): neither is a capability.
        all.retain(|id| {
            id != "list" && id != "inspect" && id != "help" && !id.starts_with("batch.")
        });
        for id in all {
            assert!(
                find(&id).is_some(),
                "command {id} is missing from CAPABILITIES"
            );
        }
    }
}
